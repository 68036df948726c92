import {
  DescribeInstancesCommand,
  GetConsoleOutputCommand,
  RunInstancesCommand,
  StopInstancesCommand,
  type BlockDeviceMapping,
  type Instance,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { hasCode, isTransient } from '../aws/errors.js';
import { toTagList } from '../aws/tags.js';
import { ActionFailure, describeError, withContext } from '../core/errors.js';
import { poll } from '../core/poll.js';
import type { ActionContext } from '../core/run.js';
import { seconds } from '../core/summary.js';
import { printUntrusted } from '../core/untrusted.js';
import type { Delays } from './delays.js';
import type { SourceImage } from './source.js';
import { builderTags } from './tags.js';

export interface LaunchOptions {
  source: SourceImage;
  bakeName: string;
  bakeId: string;
  instanceType: string;
  subnetId?: string;
  securityGroupIds: string[];
  iamInstanceProfile?: string;
  volumeSize?: number;
  encrypted: boolean;
  kmsKeyId?: string;
  userData?: string;
  tags: Record<string, string>;
  expiresAt: number;
}

export function runInstancesRequest(o: LaunchOptions): RunInstancesCommandInput {
  const tags = toTagList(builderTags(o.tags, o));
  const blockDevices: BlockDeviceMapping[] = [];
  if (o.volumeSize !== undefined || o.encrypted) {
    blockDevices.push({
      DeviceName: o.source.rootDeviceName ?? '/dev/xvda',
      Ebs: {
        DeleteOnTermination: true,
        ...(o.volumeSize !== undefined ? { VolumeSize: o.volumeSize } : {}),
        ...(o.encrypted ? { Encrypted: true } : {}),
        ...(o.kmsKeyId ? { KmsKeyId: o.kmsKeyId } : {}),
      },
    });
  }
  return {
    ImageId: o.source.imageId,
    InstanceType: o.instanceType as RunInstancesCommandInput['InstanceType'],
    MinCount: 1,
    MaxCount: 1,
    // Idempotent: an SDK retry after a dropped response cannot launch a second builder.
    ClientToken: o.bakeId,
    ...(o.subnetId ? { SubnetId: o.subnetId } : {}),
    ...(o.securityGroupIds.length ? { SecurityGroupIds: o.securityGroupIds } : {}),
    ...(o.iamInstanceProfile
      ? {
          IamInstanceProfile: o.iamInstanceProfile.startsWith('arn:')
            ? { Arn: o.iamInstanceProfile }
            : { Name: o.iamInstanceProfile },
        }
      : {}),
    ...(blockDevices.length ? { BlockDeviceMappings: blockDevices } : {}),
    ...(o.userData !== undefined ? { UserData: Buffer.from(o.userData, 'utf8').toString('base64') } : {}),
    MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 2 },
    // The provisioning ends by shutting down; the image is taken from the stopped instance.
    InstanceInitiatedShutdownBehavior: 'stop',
    TagSpecifications: [
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags },
    ],
  };
}

/**
 * Launches the builder and hands its id to `onLaunched` before anything else can fail. The call
 * gets no abort signal: once sent, we must learn the id so the instance can be cleaned up.
 */
export async function launchBuilder(
  ctx: ActionContext,
  o: LaunchOptions,
  onLaunched: (id: string) => void,
): Promise<string> {
  const out = await ctx.clients
    .ec2()
    .send(new RunInstancesCommand(runInstancesRequest(o)))
    .catch((err: unknown) => {
      throw withContext(`RunInstances (${o.instanceType} from ${o.source.imageId})`, err);
    });
  const id = out.Instances?.[0]?.InstanceId;
  if (!id) throw new ActionFailure('RunInstances returned no instance id');
  onLaunched(id);
  ctx.log.info(`Launched builder ${id} (${o.instanceType}) from ${o.source.imageId}.`);
  return id;
}

export async function describeBuilder(ctx: ActionContext, instanceId: string): Promise<Instance | undefined> {
  try {
    const out = await ctx.clients
      .ec2()
      .send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }), { abortSignal: ctx.signal });
    return out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
  } catch (err) {
    // A just-launched instance may not be visible yet (eventual consistency).
    if (hasCode(err, 'InvalidInstanceID.NotFound')) return undefined;
    throw err;
  }
}

export function terminatedReason(i: Instance): string {
  return i.StateReason?.Message ?? i.StateTransitionReason ?? 'no reason given';
}

/** Follows the builder's console: prints new lines and spots the failure marker. */
export class ConsoleWatch {
  private seen = '';
  private disabled = false;

  constructor(
    private readonly ctx: ActionContext,
    private readonly instanceId: string,
    private readonly failureMarker: string,
  ) {}

  /** Returns the line holding the failure marker, if the console shows one. */
  async check(): Promise<string | undefined> {
    if (this.disabled) return undefined;
    let text: string;
    try {
      const out = await this.ctx.clients
        .ec2()
        .send(new GetConsoleOutputCommand({ InstanceId: this.instanceId }), { abortSignal: this.ctx.signal });
      text = out.Output ? Buffer.from(out.Output, 'base64').toString('utf8') : '';
    } catch (err) {
      if (this.ctx.signal.aborted || isTransient(err)) throw err;
      this.disabled = true;
      this.ctx.log.warning(
        `Cannot read the builder's console output (${describeError(err)}); failure-marker detection is off.`,
      );
      return undefined;
    }
    // AWS keeps the last 64 KiB: when the start scrolled away, print what we cannot match.
    const fresh = text.startsWith(this.seen) ? text.slice(this.seen.length) : text;
    this.seen = text;
    // The console shows what the build printed: it must not issue workflow commands.
    printUntrusted(
      this.ctx.log,
      fresh
        .split(/\r?\n/)
        .filter((line) => line.trim())
        .map((line) => `console: ${line}`),
    );
    return text.split(/\r?\n/).find((line) => line.includes(this.failureMarker));
  }
}

export interface WaitStoppedOptions {
  instanceId: string;
  failureMarker: string;
  deadline: number;
  delays: Delays;
  /** What the wait is for, in the progress lines and timeout message. */
  phase: string;
  what: string;
}

/**
 * Waits for the builder to stop by itself (provisioning ends with a shutdown), failing early
 * when the console shows the failure marker or the instance terminates. The SDK's
 * instanceStopped waiter cannot read the console, so this uses the shared poller.
 */
export async function waitForBuilderStopped(ctx: ActionContext, o: WaitStoppedOptions): Promise<void> {
  const watch = new ConsoleWatch(ctx, o.instanceId, o.failureMarker);
  const start = ctx.clock.now();
  await poll({
    phase: o.what,
    clock: ctx.clock,
    signal: ctx.signal,
    deadline: o.deadline,
    minDelayMs: o.delays.minMs,
    maxDelayMs: o.delays.maxMs,
    isTransient,
    onTransient: (err) =>
      ctx.log.info(`builder ${o.instanceId}: poll failed (${describeError(err)}), retrying`),
    onProgress: (progress) =>
      ctx.log.info(`builder ${o.instanceId}: ${progress}, ${seconds(ctx.clock.now() - start)} so far`),
    check: async () => {
      const instance = await describeBuilder(ctx, o.instanceId);
      const state = instance?.State?.Name ?? 'not visible yet';
      if (state === 'terminated' || state === 'shutting-down')
        throw new ActionFailure(
          `builder ${o.instanceId} terminated during ${o.phase} (${instance ? terminatedReason(instance) : ''})`,
        );
      const marked = await watch.check();
      if (marked !== undefined)
        throw new ActionFailure(
          `builder ${o.instanceId} printed the failure marker ${JSON.stringify(o.failureMarker)}: ${marked.trim()}`,
        );
      if (state === 'stopped') return { done: true, value: undefined };
      return { done: false, progress: state };
    },
  });
}

/** Linux builders are stopped through the API: an orderly ACPI shutdown, no agent needed. */
export async function stopBuilder(ctx: ActionContext, instanceId: string): Promise<void> {
  await ctx.clients
    .ec2()
    .send(new StopInstancesCommand({ InstanceIds: [instanceId] }))
    .catch((err: unknown) => {
      throw withContext(`StopInstances ${instanceId}`, err);
    });
}
