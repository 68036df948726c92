// The builder instance: its launch request, its state, its stop, and the wait for it to stop with the console's proof.
import {
  DescribeInstancesCommand,
  RunInstancesCommand,
  StopInstancesCommand,
  type BlockDeviceMapping,
  type Instance,
  type RunInstancesCommandInput,
  type RunInstancesCommandOutput,
} from '@aws-sdk/client-ec2';
import { hasCode } from '../../aws/errors.js';
import { toTagList } from '../../aws/tags.js';
import { ActionFailure, describeError, withContext } from '../../core/errors.js';
import type { ActionContext } from '../../core/context.js';
import { seconds } from '../../core/summary.js';
import { ConsoleWatch, SUCCESS_MARKER } from './console.js';
import { Pace, pollPaced, type Schedule } from '../schedule.js';
import type { SourceImage } from '../lookup/source.js';
import { builderTags } from '../tags.js';
import { isNoSpotCapacity, SPOT_MARKET } from './spot.js';
import { rootVolume, type VolumeType } from '../image/root-volume.js';

export interface LaunchOptions {
  source: SourceImage;
  bakeName: string;
  bakeId: string;
  instanceType: string;
  subnetId?: string;
  securityGroupIds: string[];
  iamInstanceProfile?: string;
  volumeSize?: number;
  volumeType?: VolumeType;
  volumeIops?: number;
  volumeThroughput?: number;
  encrypted: boolean;
  kmsKeyId?: string;
  userData?: string;
  tags: Record<string, string>;
  expiresAt: number;
  /** spot: true — on Spot first (spot.ts). */
  spot?: boolean;
  /** Another launch of the same bake (the test stage) needs its own idempotency token. */
  clientToken?: string;
}

export function runInstancesRequest(o: LaunchOptions): RunInstancesCommandInput {
  const tags = toTagList(builderTags(o.tags, o));
  const blockDevices: BlockDeviceMapping[] = [];
  const volume = rootVolume(o);
  if (o.volumeSize !== undefined || o.encrypted || Object.keys(volume).length) {
    blockDevices.push({
      DeviceName: o.source.rootDeviceName ?? '/dev/xvda',
      Ebs: {
        DeleteOnTermination: true,
        ...(o.volumeSize !== undefined ? { VolumeSize: o.volumeSize } : {}),
        ...volume,
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
    ClientToken: `${o.clientToken ?? o.bakeId}${o.spot === false ? '-on-demand' : ''}`.slice(0, 64),
    ...(o.spot ? { InstanceMarketOptions: SPOT_MARKET } : {}),
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
    // The network interface too: IAM then requires the builder tags on every resource launched, so
    // the role cannot attach an existing interface of another team's.
    TagSpecifications: [
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags },
      { ResourceType: 'network-interface', Tags: tags },
      ...(o.spot ? [{ ResourceType: 'spot-instances-request' as const, Tags: tags }] : []),
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
  const launch = (spot: boolean | undefined): Promise<RunInstancesCommandOutput> =>
    ctx.clients
      .ec2()
      .send(new RunInstancesCommand(runInstancesRequest({ ...o, spot })))
      .catch((err: unknown) => {
        if (spot && isNoSpotCapacity(err)) {
          ctx.log.warning(
            `spot: no Spot capacity for ${o.instanceType} (${describeError(err)}); launching the builder On-Demand instead.`,
          );
          // Another client token: the first was spent on the Spot request's parameters.
          return launch(false);
        }
        throw withContext(`RunInstances (${o.instanceType} from ${o.source.imageId})`, err);
      });
  const out = await launch(o.spot || undefined);
  const id = out.Instances?.[0]?.InstanceId;
  if (!id) throw new ActionFailure('RunInstances returned no instance id');
  onLaunched(id);
  const market = out.Instances?.[0]?.InstanceLifecycle === 'spot' ? ', Spot' : '';
  ctx.log.info(`Launched builder ${id} (${o.instanceType}${market}) from ${o.source.imageId}.`);
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

/** The builder's state, failing when it is in one of `fatal` (it cannot get where the wait needs it). */
export async function builderState(
  ctx: ActionContext,
  instanceId: string,
  fatal: (state: string) => string | undefined,
): Promise<{ instance?: Instance; state: string }> {
  const instance = await describeBuilder(ctx, instanceId);
  const state = instance?.State?.Name ?? 'not visible yet';
  const why = instance && fatal(state);
  if (why) throw new ActionFailure(`builder ${instanceId} ${why} (${terminatedReason(instance)})`);
  return { instance, state };
}

/**
 * When the instance last changed state (clock ms), from what EC2 writes: "User initiated
 * (2017-12-08 18:26:53 GMT)"; undefined when it gives no time.
 */
export function transitionAt(i: Instance | undefined): number | undefined {
  const m = /\((\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)/.exec(i?.StateTransitionReason ?? '');
  return m ? Date.parse(`${m[1]}T${m[2]}Z`) : undefined;
}

export interface WaitStoppedOptions {
  instanceId: string;
  failureMarker: string;
  deadline: number;
  schedule: Schedule;
  /** When the first poll is due (clock ms): the expected end of the boot, or of a requested stop. */
  firstPollAt: number;
  /** What the wait is for, in the progress lines and timeout message. */
  phase: string;
  what: string;
  /** The user data prints the success marker: the console read after the stop must show it. */
  requireSuccess: boolean;
  /** User data should power the builder off: cloud-init's "finished" line without a stop fails. */
  userDataShutsDown?: boolean;
  /** Called at each poll that sees the builder running: throws when what should stop it failed. */
  whileRunning?: () => Promise<void>;
}

/** The error for a failure line seen on a builder's console. */
export const consoleFailure =
  (instanceId: string, failureMarker: string) =>
  (line: string): ActionFailure =>
    new ActionFailure(
      line.includes(failureMarker)
        ? `builder ${instanceId} printed the failure marker ${JSON.stringify(failureMarker)}: ${line.trim()}`
        : `builder ${instanceId} reported a failed build on its console: ${line.trim()}`,
    );

/** AWS posts the buffered console "shortly after" a transition; this long is how long we wait. */
const CONSOLE_POST_WAIT_MS = 10 * 60_000;

/**
 * Waits for the builder to stop by itself (provisioning ends with a shutdown), failing as soon
 * as the console shows a failure (the marker, cloud-init's or EC2Launch's report) or the
 * instance terminates; then proves success from the console read after the stop. While it builds
 * it is polled every `buildMs`, often enough to see it `stopping`; from when the stop began, the
 * next poll is placed at the stop's expected end. The SDK's instanceStopped waiter cannot read
 * the console (nor place its polls), so this uses the shared poller.
 */
export async function waitForBuilderStopped(ctx: ActionContext, o: WaitStoppedOptions): Promise<void> {
  const watch = new ConsoleWatch(ctx, o.instanceId, o.failureMarker);
  const start = ctx.clock.now();
  const fail = consoleFailure(o.instanceId, o.failureMarker);
  const pace = new Pace(o.schedule, ctx.clock, o.firstPollAt);
  let postedBeforeStop = 0;
  let stillRunningAt = start;
  let finishedSeenAt: number | undefined;
  let polls = 0;
  await pollPaced(ctx, {
    phase: o.what,
    pace,
    deadline: o.deadline,
    onTransient: (err) =>
      ctx.log.info(`builder ${o.instanceId}: poll failed (${describeError(err)}), retrying`),
    onProgress: (progress) =>
      ctx.log.info(`builder ${o.instanceId}: ${progress}, ${seconds(ctx.clock.now() - start)} so far`),
    check: async () => {
      polls++;
      const now = ctx.clock.now();
      const { instance, state } = await builderState(ctx, o.instanceId, (s) =>
        s === 'terminated' || s === 'shutting-down' ? `terminated during ${o.phase}` : undefined,
      );
      if (state === 'stopped') return { done: true, value: undefined };
      if (state === 'stopping') {
        // The stop began between the last poll that saw the builder up and this one.
        const began = Math.min(now, Math.max(stillRunningAt, transitionAt(instance) ?? 0));
        pace.expect(began + o.schedule.expect.stop);
      } else {
        stillRunningAt = now;
        pace.expect(now + o.schedule.buildMs);
      }
      if (state !== 'running' && state !== 'stopping') return { done: false, progress: state };
      if (state === 'running') await o.whileRunning?.();
      // Read while stopping too: a script that failed just before its shutdown shows it now.
      const read = await watch.read();
      const failed = read && watch.failure(read.text);
      if (failed) throw fail(failed);
      if (read) postedBeforeStop = read.at;
      const finished = state === 'running' && o.userDataShutsDown && read && watch.finished(read.text);
      if (finished) {
        finishedSeenAt ??= now;
        // The shutdown a script ends with comes within moments of cloud-init's last line.
        if (now - finishedSeenAt > o.schedule.expect.stop + o.schedule.buildMs)
          throw new ActionFailure(
            `builder ${o.instanceId}: cloud-init finished the user data (${finished.trim()}) but the builder did not power off within ${seconds(now - finishedSeenAt)}: the user data must end by shutting down (shutdown -h now)`,
          );
      }
      return { done: false, progress: state };
    },
  });
  ctx.log.info(
    `builder ${o.instanceId}: stopped after ${seconds(ctx.clock.now() - start)} (${polls} polls).`,
  );
  await proveFromConsole(ctx, { ...o, watch, postedBefore: postedBeforeStop, fail });
}

/**
 * The console read after the builder stopped: output printed just before a shutdown may not have
 * been posted yet, so this reads the latest output, or waits for a post newer than
 * `postedBefore`. A failure line fails; with `requireSuccess` the success marker must be there.
 */
export async function proveFromConsole(
  ctx: ActionContext,
  o: Pick<WaitStoppedOptions, 'instanceId' | 'deadline' | 'schedule' | 'requireSuccess'> & {
    watch: ConsoleWatch;
    postedBefore: number;
    fail: (line: string) => Error;
  },
): Promise<void> {
  const watch = o.watch;
  await pollPaced(ctx, {
    phase: `reading the builder's console output after the stop (AWS posts it shortly after)`,
    pace: new Pace(o.schedule, ctx.clock, ctx.clock.now()),
    deadline: Math.min(o.deadline, ctx.clock.now() + CONSOLE_POST_WAIT_MS),
    onProgress: (progress) => ctx.log.info(`builder ${o.instanceId}: ${progress}`),
    check: async () => {
      const read = await watch.read();
      if (!read) {
        if (o.requireSuccess)
          throw new ActionFailure(
            `builder ${o.instanceId}: its console cannot be read, so nothing proves the build printed ${SUCCESS_MARKER}`,
          );
        return { done: true, value: undefined };
      }
      const failed = watch.failure(read.text);
      if (failed) throw o.fail(failed);
      // Even when asked for the latest output AWS may answer with a buffered post (the docs leave
      // it open): only output newer than what was read before the stop proves anything.
      if (read.at <= o.postedBefore)
        return { done: false, progress: 'stopped, console output of the stop not posted yet' };
      if (o.requireSuccess && !read.text.includes(SUCCESS_MARKER))
        throw new ActionFailure(
          `builder ${o.instanceId} stopped without printing ${SUCCESS_MARKER} to its console: nothing proves the build succeeded`,
        );
      ctx.log.info(
        o.requireSuccess
          ? `builder ${o.instanceId}: the console after the stop shows ${SUCCESS_MARKER}.`
          : `builder ${o.instanceId}: the console after the stop shows no failure.`,
      );
      return { done: true, value: undefined };
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
