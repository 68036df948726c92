// A small stateful Auto Scaling + EC2 per region behind aws-sdk-client-mock, for the roll test
// localcloud cannot run (roll-fake.test.ts says which and why): it asserts on what the cloud ends
// up holding (template versions, group configuration, refreshes).
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  StartInstanceRefreshCommand,
  UpdateAutoScalingGroupCommand,
  type AutoScalingGroup,
  type DescribeAutoScalingGroupsCommandInput,
  type DescribeInstanceRefreshesCommandInput,
  type LaunchTemplateSpecification,
  type RefreshPreferences,
  type StartInstanceRefreshCommandInput,
  type UpdateAutoScalingGroupCommandInput,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateVersionCommand,
  DeleteLaunchTemplateVersionsCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  type CreateLaunchTemplateVersionCommandInput,
  type DescribeInstancesCommandInput,
  type DescribeLaunchTemplateVersionsCommandInput,
  type RequestLaunchTemplateData,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import type { AwsClients } from '../../../src/aws/clients.js';
import { memoryLog } from '../../../src/core/log.js';
import type { ActionContext } from '../../../src/core/context.js';
import { fakeClock } from '../../support/fake-clock.js';

export function awsError(name: string, status = 400, message = name): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, requestId: `req-${name}` },
  });
}

export interface FakeTemplate {
  id: string;
  name: string;
  versions: Map<number, RequestLaunchTemplateData & { ImageId?: string }>;
  defaultVersion: number;
}

export interface FakeGroup {
  name: string;
  tags: Record<string, string>;
  launchTemplate?: LaunchTemplateSpecification;
  instances: string[];
}

export interface FakeRefresh {
  id: string;
  group: string;
  status: string;
  percentage: number;
  startTime: Date;
  desired?: StartInstanceRefreshCommandInput['DesiredConfiguration'];
  preferences?: RefreshPreferences;
}

type Op = string;

/** One region: groups, templates, images, instances, refreshes. */
export class FakeRegion {
  readonly groups = new Map<string, FakeGroup>();
  readonly templates = new Map<string, FakeTemplate>();
  readonly images = new Set<string>();
  readonly instances = new Map<string, string>();
  /** Newest first, per group. */
  readonly refreshes = new Map<string, FakeRefresh[]>();
  /** Every mutating call, in order: "StartInstanceRefresh web". */
  readonly mutations: string[] = [];
  /** Make an operation fail: return an error to throw (checked before the operation acts). */
  readonly faults = new Map<Op, (input: Record<string, unknown>) => Error | undefined>();
  readonly asg: AutoScalingClient;
  readonly ec2: EC2Client;
  private seq = 0;

  constructor(
    readonly name: string,
    private readonly now: () => number = () => 0,
  ) {
    this.asg = new AutoScalingClient({ region: name });
    this.ec2 = new EC2Client({ region: name });
    const asg = mockClient(this.asg);
    const ec2 = mockClient(this.ec2);
    const guard =
      <I extends object, O>(op: Op, fn: (i: I) => O | Promise<O>) =>
      async (i: I) => {
        const err = this.faults.get(op)?.(i as Record<string, unknown>);
        if (err) throw err;
        return fn(i);
      };
    asg
      .on(DescribeAutoScalingGroupsCommand)
      .callsFake(
        guard('DescribeAutoScalingGroups', (i: DescribeAutoScalingGroupsCommandInput) =>
          this.describeGroups(i),
        ),
      );
    asg
      .on(DescribeInstanceRefreshesCommand)
      .callsFake(
        guard('DescribeInstanceRefreshes', (i: DescribeInstanceRefreshesCommandInput) =>
          this.describeRefreshes(i),
        ),
      );
    asg
      .on(StartInstanceRefreshCommand)
      .callsFake(
        guard('StartInstanceRefresh', (i: StartInstanceRefreshCommandInput) => this.startRefresh(i)),
      );
    asg.on(UpdateAutoScalingGroupCommand).callsFake(
      guard('UpdateAutoScalingGroup', (i: UpdateAutoScalingGroupCommandInput) => {
        const g = this.groups.get(i.AutoScalingGroupName!)!;
        const lt = i.LaunchTemplate ?? i.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
        this.mutations.push(`UpdateAutoScalingGroup ${g.name} ${lt?.LaunchTemplateId}@${lt?.Version}`);
        if (i.LaunchTemplate) g.launchTemplate = i.LaunchTemplate;
        return {};
      }),
    );
    ec2
      .on(DescribeLaunchTemplateVersionsCommand)
      .callsFake(
        guard('DescribeLaunchTemplateVersions', (i: DescribeLaunchTemplateVersionsCommandInput) =>
          this.describeVersions(i),
        ),
      );
    ec2
      .on(CreateLaunchTemplateVersionCommand)
      .callsFake(
        guard('CreateLaunchTemplateVersion', (i: CreateLaunchTemplateVersionCommandInput) =>
          this.createVersion(i),
        ),
      );
    ec2.on(DeleteLaunchTemplateVersionsCommand).callsFake(
      guard('DeleteLaunchTemplateVersions', (i: { LaunchTemplateId: string; Versions: string[] }) => {
        this.mutations.push(`DeleteLaunchTemplateVersions ${i.LaunchTemplateId} ${i.Versions.join(',')}`);
        for (const v of i.Versions) this.template(i.LaunchTemplateId).versions.delete(Number(v));
        return {
          SuccessfullyDeletedLaunchTemplateVersions: i.Versions.map((v) => ({ VersionNumber: Number(v) })),
        };
      }),
    );
    ec2.on(DescribeImagesCommand).callsFake(
      guard('DescribeImages', (i: { ImageIds: string[] }) => {
        if (i.ImageIds.some((id) => !this.images.has(id))) throw awsError('InvalidAMIID.NotFound');
        return { Images: i.ImageIds.map((ImageId) => ({ ImageId, State: 'available' })) };
      }),
    );
    ec2
      .on(DescribeInstancesCommand)
      .callsFake(guard('DescribeInstances', (i: DescribeInstancesCommandInput) => this.describeInstances(i)));
  }

  // ---- seeding ----

  template(idOrName: string): FakeTemplate {
    const t = this.templates.get(idOrName) ?? [...this.templates.values()].find((x) => x.name === idOrName);
    if (!t) throw awsError('InvalidLaunchTemplateId.NotFound');
    return t;
  }

  addTemplate(
    name: string,
    imageIds: string[],
    data: RequestLaunchTemplateData = { InstanceType: 't3.micro' },
  ): FakeTemplate {
    const id = `lt-${String(this.templates.size + 1).padStart(17, '0')}`;
    const t: FakeTemplate = { id, name, versions: new Map(), defaultVersion: 1 };
    imageIds.forEach((ImageId, i) => t.versions.set(i + 1, { ...data, ImageId }));
    this.templates.set(id, t);
    return t;
  }

  /** A group with `size` instances launched from the image its template version gives. */
  addGroup(
    name: string,
    o: {
      template?: FakeTemplate;
      version?: string;
      size?: number;
      tags?: Record<string, string>;
      instanceImage?: string;
    },
  ): FakeGroup {
    const g: FakeGroup = { name, tags: o.tags ?? {}, instances: [] };
    if (o.template)
      g.launchTemplate = {
        LaunchTemplateId: o.template.id,
        LaunchTemplateName: o.template.name,
        Version: o.version ?? '1',
      };
    this.groups.set(name, g);
    const image = o.instanceImage ?? this.imageOf(g);
    for (let i = 0; i < (o.size ?? 2); i++) this.launch(g, image);
    return g;
  }

  addRefresh(group: string, r: Partial<FakeRefresh> & { status: string }): FakeRefresh {
    const refresh: FakeRefresh = {
      id: `rf-${group}-${++this.seq}`,
      group,
      percentage: 40,
      startTime: new Date(0),
      ...r,
    };
    this.refreshes.set(group, [refresh, ...(this.refreshes.get(group) ?? [])]);
    return refresh;
  }

  // ---- what tests assert on ----

  /** The image a group's launch template version launches. */
  imageOf(g: FakeGroup): string {
    return this.versionData(g.launchTemplate!).ImageId ?? '';
  }

  // ---- handlers ----

  private launch(g: FakeGroup, image: string): void {
    const id = `i-${String(++this.seq).padStart(17, '0')}`;
    this.instances.set(id, image);
    g.instances.push(id);
  }

  private versionData(spec: LaunchTemplateSpecification) {
    const t = this.template(spec.LaunchTemplateId ?? spec.LaunchTemplateName!);
    const v = this.resolveVersion(t, spec.Version ?? '$Default');
    return t.versions.get(v)!;
  }

  private resolveVersion(t: FakeTemplate, v: string): number {
    if (v === '$Latest') return Math.max(...t.versions.keys());
    if (v === '$Default') return t.defaultVersion;
    return Number(v);
  }

  private describeGroups(i: DescribeAutoScalingGroupsCommandInput) {
    let groups = [...this.groups.values()];
    if (i.AutoScalingGroupNames) groups = groups.filter((g) => i.AutoScalingGroupNames!.includes(g.name));
    for (const f of i.Filters ?? []) {
      const key = f.Name!.replace(/^tag:/, '');
      groups = groups.filter((g) => f.Values!.includes(g.tags[key] ?? '\u0000'));
    }
    // Two per page, so paging is exercised.
    const start = Number(i.NextToken ?? 0);
    const page = groups.slice(start, start + 2);
    return {
      AutoScalingGroups: page.map((g): AutoScalingGroup => ({
        AutoScalingGroupName: g.name,
        ...(g.launchTemplate ? { LaunchTemplate: g.launchTemplate } : {}),
        Instances: g.instances.map((InstanceId) => ({
          InstanceId,
          LifecycleState: 'InService',
          HealthStatus: 'Healthy',
          AvailabilityZone: `${this.name}a`,
          ProtectedFromScaleIn: false,
        })),
        Tags: Object.entries(g.tags).map(([Key, Value]) => ({ Key, Value })),
        MinSize: 0,
        MaxSize: 10,
        DesiredCapacity: g.instances.length,
        DefaultCooldown: 300,
        AvailabilityZones: [`${this.name}a`],
        HealthCheckType: 'EC2',
        CreatedTime: new Date(0),
      })),
      NextToken: start + 2 < groups.length ? String(start + 2) : undefined,
    };
  }

  private describeRefreshes(i: DescribeInstanceRefreshesCommandInput) {
    let list = this.refreshes.get(i.AutoScalingGroupName!) ?? [];
    if (i.InstanceRefreshIds) list = list.filter((r) => i.InstanceRefreshIds!.includes(r.id));
    if (i.MaxRecords) list = list.slice(0, i.MaxRecords);
    return {
      InstanceRefreshes: list.map((r) => ({
        InstanceRefreshId: r.id,
        AutoScalingGroupName: r.group,
        Status: r.status as never,
        PercentageComplete: r.percentage,
        StartTime: r.startTime,
        ...(r.desired ? { DesiredConfiguration: r.desired } : {}),
      })),
    };
  }

  private startRefresh(i: StartInstanceRefreshCommandInput) {
    const g = this.groups.get(i.AutoScalingGroupName!);
    if (!g) throw awsError('ValidationError');
    const active = (this.refreshes.get(g.name) ?? []).find((r) =>
      ['Pending', 'InProgress', 'Cancelling', 'Baking', 'RollbackInProgress'].includes(r.status),
    );
    if (active) throw awsError('InstanceRefreshInProgress');
    this.mutations.push(`StartInstanceRefresh ${g.name}`);
    const r = this.addRefresh(g.name, {
      status: 'Pending',
      percentage: 0,
      startTime: new Date(this.now()),
      ...(i.DesiredConfiguration ? { desired: i.DesiredConfiguration } : {}),
      ...(i.Preferences ? { preferences: i.Preferences } : {}),
    });
    return { InstanceRefreshId: r.id };
  }

  private describeVersions(i: DescribeLaunchTemplateVersionsCommandInput) {
    const t = this.template(i.LaunchTemplateId ?? i.LaunchTemplateName!);
    return {
      LaunchTemplateVersions: (i.Versions ?? []).map((v) => {
        const n = this.resolveVersion(t, v);
        const data = t.versions.get(n);
        if (!data) throw awsError('InvalidLaunchTemplateId.VersionNotFound');
        return {
          LaunchTemplateId: t.id,
          LaunchTemplateName: t.name,
          VersionNumber: n,
          DefaultVersion: n === t.defaultVersion,
          LaunchTemplateData: data,
        };
      }),
    };
  }

  private createVersion(i: CreateLaunchTemplateVersionCommandInput) {
    const t = this.template(i.LaunchTemplateId ?? i.LaunchTemplateName!);
    const source = t.versions.get(this.resolveVersion(t, i.SourceVersion ?? '$Latest'));
    if (!source) throw awsError('InvalidLaunchTemplateId.VersionNotFound');
    const n = Math.max(...t.versions.keys()) + 1;
    t.versions.set(n, { ...source, ...i.LaunchTemplateData });
    this.mutations.push(`CreateLaunchTemplateVersion ${t.name} ${n}`);
    return {
      LaunchTemplateVersion: { LaunchTemplateId: t.id, LaunchTemplateName: t.name, VersionNumber: n },
    };
  }

  private describeInstances(i: DescribeInstancesCommandInput) {
    const ids = i.Filters?.find((f) => f.Name === 'instance-id')?.Values ?? [];
    return {
      Reservations: [
        {
          Instances: ids
            .filter((id) => this.instances.has(id))
            .map((InstanceId) => ({ InstanceId, ImageId: this.instances.get(InstanceId) })),
        },
      ],
    };
  }
}

/** Regions plus an ActionContext whose clients are the regions' mocked SDK clients. */
export class FakeCloud {
  readonly regions = new Map<string, FakeRegion>();
  readonly clock = fakeClock(1_700_000_000_000);
  readonly log = memoryLog();
  readonly controller = new AbortController();

  constructor(...names: string[]) {
    for (const n of names) this.regions.set(n, new FakeRegion(n, () => this.clock.now()));
  }

  region(name = 'us-east-1'): FakeRegion {
    const r = this.regions.get(name);
    if (!r) throw new Error(`no fake region ${name}`);
    return r;
  }

  get mutations(): string[] {
    return [...this.regions.values()].flatMap((r) => r.mutations.map((m) => `${r.name}: ${m}`));
  }

  ctx(): ActionContext {
    const first = [...this.regions.keys()][0]!;
    const clients: AwsClients = {
      defaultRegion: first,
      autoScaling: (r) => this.region(r ?? first).asg,
      ec2: (r) => this.region(r ?? first).ec2,
      ssm: () => {
        throw new Error('these roll tests do not use SSM');
      },
      elbv2: () => {
        throw new Error('roll does not use ELBv2');
      },
      sts: () => {
        throw new Error('roll does not use STS');
      },
      destroy: () => undefined,
    };
    return { clients, clock: this.clock, log: this.log, signal: this.controller.signal };
  }
}
