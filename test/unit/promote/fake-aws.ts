// A small stateful SSM + EC2 behind aws-sdk-client-mock, so unit tests assert on the
// parameter's history (versions, values, labels) rather than on calls. Time is a fake clock:
// SSM's asynchronous aws:ec2:image validation completes when the clock passes a version's
// validation time, exactly when the code under test sleeps.
import { DescribeImagesCommand, EC2Client, type DescribeImagesCommandInput } from '@aws-sdk/client-ec2';
import {
  AddTagsToResourceCommand,
  GetParameterCommand,
  GetParameterHistoryCommand,
  LabelParameterVersionCommand,
  PutParameterCommand,
  SSMClient,
  type GetParameterCommandInput,
  type GetParameterHistoryCommandInput,
  type LabelParameterVersionCommandInput,
  type PutParameterCommandInput,
} from '@aws-sdk/client-ssm';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import type { AwsClients } from '../../../src/aws/clients.js';
import type { Clock } from '../../../src/core/clock.js';
import { AbortedError } from '../../../src/core/errors.js';
import { memoryLog } from '../../../src/core/log.js';
import type { ActionContext } from '../../../src/core/context.js';

export interface FakeImage {
  id: string;
  state?: string;
  created: string;
}

export interface FakeVersion {
  version: number;
  value: string;
  labels: string[];
  /** Clock time at which validation completes. */
  validAt: number;
  rejected: boolean;
  /** Validation has run (seeded versions count as validated). */
  checked: boolean;
}

export interface FakeParameter {
  type: string;
  dataType: string;
  versions: FakeVersion[];
  next: number;
  tags: Record<string, string>;
  description?: string;
}

export function awsError(name: string, status = 400, message = name): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, requestId: `req-${name}` },
  });
}

export class FakeClock implements Clock {
  t = 1_000_000;
  slept: number[] = [];
  now(): number {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw new AbortedError();
    this.slept.push(ms);
    this.t += ms;
  }
}

/** One region's SSM parameters and EC2 images. */
export class FakeRegion {
  readonly params = new Map<string, FakeParameter>();
  readonly images = new Map<string, FakeImage>();
  /** How long validation takes after PutParameter. */
  validationMs = 300;
  /** Hook run inside PutParameter before the write: lets a test land a concurrent write first. */
  beforePut?: (input: PutParameterCommandInput) => void;
  /** Hook run right after PutParameter: lets a test land a concurrent write after ours. */
  afterPut?: (input: PutParameterCommandInput, version: number) => void;
  /** Every mutating call, in order. */
  readonly mutations: string[] = [];
  readonly ssm: AwsClientStub<SSMClient>;
  readonly ec2: AwsClientStub<EC2Client>;

  constructor(
    readonly name: string,
    readonly clock: FakeClock,
    readonly ssmClient = new SSMClient({ region: name }),
    readonly ec2Client = new EC2Client({ region: name }),
  ) {
    this.ssm = mockClient(ssmClient);
    this.ec2 = mockClient(ec2Client);
    this.ssm.on(GetParameterCommand).callsFake((i: GetParameterCommandInput) => this.getParameter(i));
    this.ssm
      .on(GetParameterHistoryCommand)
      .callsFake((i: GetParameterHistoryCommandInput) => this.history(i));
    this.ssm.on(PutParameterCommand).callsFake((i: PutParameterCommandInput) => this.put(i));
    this.ssm
      .on(LabelParameterVersionCommand)
      .callsFake((i: LabelParameterVersionCommandInput) => this.label(i));
    this.ssm
      .on(AddTagsToResourceCommand)
      .callsFake((i: { ResourceId: string; Tags: { Key: string; Value: string }[] }) => {
        this.mutations.push(`AddTagsToResource ${i.ResourceId}`);
        const p = this.params.get(i.ResourceId);
        if (!p) throw awsError('InvalidResourceId');
        for (const t of i.Tags) p.tags[t.Key] = t.Value;
        return {};
      });
    this.ec2.on(DescribeImagesCommand).callsFake((i: DescribeImagesCommandInput) => {
      const found = (i.ImageIds ?? []).map((id) => this.images.get(id));
      if (found.some((f) => !f)) throw awsError('InvalidAMIID.NotFound');
      return {
        Images: found.map((f) => ({
          ImageId: f!.id,
          State: f!.state ?? 'available',
          CreationDate: f!.created,
          Name: f!.id,
        })),
      };
    });
  }

  image(id: string, created: string, state = 'available'): this {
    this.images.set(id, { id, created, state });
    return this;
  }

  /** Seeds an already validated parameter, one version per value. */
  seed(
    name: string,
    values: string[],
    opts: { dataType?: string; labels?: Record<string, number> } = {},
  ): this {
    const p: FakeParameter = {
      type: 'String',
      dataType: opts.dataType ?? 'aws:ec2:image',
      versions: [],
      next: 1,
      tags: {},
    };
    for (const value of values)
      p.versions.push({ version: p.next++, value, labels: [], validAt: 0, rejected: false, checked: true });
    for (const [label, version] of Object.entries(opts.labels ?? {}))
      p.versions.find((v) => v.version === version)!.labels.push(label);
    this.params.set(name, p);
    return this;
  }

  /** The versions a reader can see (validated), oldest first. */
  visible(name: string): FakeVersion[] {
    const p = this.params.get(name);
    if (p) this.settle(p);
    return (p?.versions ?? []).filter((v) => !v.rejected && v.validAt <= this.clock.now());
  }

  /** Compact history for assertions: "1:ami-a", "2:ami-b[prod]". */
  historyOf(name: string): string[] {
    return this.visible(name).map(
      (v) => `${v.version}:${v.value}${v.labels.length ? `[${v.labels.join(',')}]` : ''}`,
    );
  }

  private settle(p: FakeParameter): void {
    // A version whose AMI this region cannot see is rejected when its validation completes.
    for (const v of p.versions)
      if (!v.checked && v.validAt <= this.clock.now()) {
        v.checked = true;
        v.rejected = !this.images.has(v.value);
      }
  }

  private param(name: string): FakeParameter {
    const p = this.params.get(name);
    if (!p || this.visible(name).length === 0) throw awsError('ParameterNotFound');
    return p;
  }

  private getParameter(i: GetParameterCommandInput) {
    const [name, selector] = splitSelector(i.Name!);
    const p = this.param(name);
    const visible = this.visible(name);
    let v: FakeVersion | undefined;
    if (selector === undefined) v = visible.at(-1);
    else if (/^\d+$/.test(selector)) v = visible.find((x) => x.version === Number(selector));
    else v = visible.find((x) => x.labels.includes(selector));
    if (!v)
      throw awsError(
        /^\d+$/.test(selector ?? '') ? 'ParameterVersionNotFound' : 'ParameterVersionLabelNotFound',
      );
    return {
      Parameter: { Name: name, Type: p.type, DataType: p.dataType, Value: v.value, Version: v.version },
    };
  }

  private history(i: GetParameterHistoryCommandInput) {
    this.param(i.Name!);
    const all = this.visible(i.Name!);
    const start = Number(i.NextToken ?? 0);
    const page = all.slice(start, start + (i.MaxResults ?? 50));
    const next = start + page.length < all.length ? String(start + page.length) : undefined;
    return {
      Parameters: page.map((v) => ({
        Name: i.Name,
        Version: v.version,
        Value: v.value,
        Labels: [...v.labels],
      })),
      NextToken: next,
    };
  }

  /** Another writer's PutParameter (Overwrite), bypassing beforePut. */
  concurrentPut(name: string, value: string): number {
    return this.write({
      Name: name,
      Value: value,
      Overwrite: true,
      Type: 'String',
      DataType: 'aws:ec2:image',
    }).Version;
  }

  private put(i: PutParameterCommandInput) {
    this.beforePut?.(i);
    const out = this.write(i);
    this.afterPut?.(i, out.Version);
    return out;
  }

  private write(i: PutParameterCommandInput) {
    this.mutations.push(`PutParameter ${i.Name}=${i.Value}`);
    const exists = this.params.has(i.Name!) && this.visible(i.Name!).length > 0;
    if (exists && !i.Overwrite) throw awsError('ParameterAlreadyExists');
    if (exists && i.Tags) throw awsError('ValidationException');
    let p = this.params.get(i.Name!);
    if (!p) {
      p = { type: i.Type ?? 'String', dataType: i.DataType ?? 'text', versions: [], next: 1, tags: {} };
      for (const t of i.Tags ?? []) p.tags[t.Key!] = t.Value!;
      this.params.set(i.Name!, p);
    }
    const visible = this.visible(i.Name!);
    if (visible.length >= 100 && visible[0]!.labels.length)
      throw awsError('ParameterMaxVersionLimitExceeded');
    if (i.Description !== undefined) p.description = i.Description;
    const version = p.next++;
    p.versions.push({
      version,
      value: i.Value!,
      labels: [],
      validAt: this.clock.now() + this.validationMs,
      rejected: false,
      checked: false,
    });
    if (p.versions.length > 100) p.versions.shift();
    return { Version: version, Tier: 'Standard' };
  }

  private label(i: LabelParameterVersionCommandInput) {
    this.mutations.push(`LabelParameterVersion ${i.Name}:${i.ParameterVersion} ${i.Labels!.join(',')}`);
    const p = this.param(i.Name!);
    const target = this.visible(i.Name!).find((v) => v.version === i.ParameterVersion);
    if (!target) throw awsError('ParameterVersionNotFound');
    for (const l of i.Labels!) {
      for (const v of p.versions) v.labels = v.labels.filter((x) => x !== l);
      target.labels.push(l);
    }
    return { InvalidLabels: [], ParameterVersion: target.version };
  }
}

function splitSelector(name: string): [string, string | undefined] {
  const at = name.lastIndexOf(':');
  return at > 0 ? [name.slice(0, at), name.slice(at + 1)] : [name, undefined];
}

/** A fake world of regions and the ActionContext over it. */
export function fakeWorld(regions: string[] = ['us-east-1']) {
  const clock = new FakeClock();
  const byName = new Map(regions.map((r) => [r, new FakeRegion(r, clock)]));
  const region = (r?: string) => {
    const found = byName.get(r ?? regions[0]!);
    if (!found) throw new Error(`test: no fake region ${r}`);
    return found;
  };
  const clients = {
    defaultRegion: regions[0]!,
    ssm: (r?: string) => region(r).ssmClient,
    ec2: (r?: string) => region(r).ec2Client,
    autoScaling: () => {
      throw new Error('not used');
    },
    elbv2: () => {
      throw new Error('not used');
    },
    sts: () => {
      throw new Error('not used');
    },
    destroy: () => undefined,
  } as AwsClients;
  const log = memoryLog();
  const controller = new AbortController();
  const ctx: ActionContext = { clients, clock, log, signal: controller.signal };
  return {
    clock,
    region,
    ctx,
    log,
    controller,
    restore: () => byName.forEach((r) => (r.ssm.restore(), r.ec2.restore())),
  };
}
