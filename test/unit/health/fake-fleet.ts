// A small stateful Auto Scaling + EC2 + ELBv2 behind aws-sdk-client-mock, driven by the test's
// clock: refreshes replace one instance per `stepMs`, images can be bad (their instances fail
// health checks), rollbacks put instances back. Tests assert on this state, not on calls.
import {
  AutoScalingClient,
  AutoScalingServiceException,
  CancelInstanceRefreshCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  RollbackInstanceRefreshCommand,
  type InstanceRefresh,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import type { AwsClients } from '../../../src/aws/clients.js';
import type { Clock } from '../../../src/core/clock.js';

export interface FakeInstance {
  id: string;
  version: string;
  ami: string;
  ip: string;
}

export interface FakeRefresh {
  id: string;
  status: NonNullable<InstanceRefresh['Status']>;
  reason?: string;
  start: number;
  end?: number;
  toVersion: string;
  fromVersion: string;
  replaced: number;
  checkpoints?: number[];
  bakeMs?: number;
  /** AWS refuses RollbackInstanceRefresh (e.g. SSM-resolved ImageId). */
  irreversible?: boolean;
  /** Fail by itself at this time (AWS-side failure). */
  failAt?: number;
  /** AWS rolls back by itself at this time (auto rollback / alarm). */
  awsRollbackAt?: number;
  rollbackStart?: number;
}

export interface FakeGroup {
  region: string;
  name: string;
  desired: number;
  version: string;
  instances: FakeInstance[];
  targetGroupArn?: string;
  tags: Record<string, string>;
  refresh?: FakeRefresh;
}

export interface FleetOptions {
  stepMs?: number;
  rollbackStepMs?: number;
  /** Throw Throttling on this fraction of Auto Scaling calls (deterministically, every nth). */
  throttleEvery?: number;
  /** Every DescribeInstanceRefreshes answers 503 (a retryable server error). */
  refreshReadsFail?: boolean;
}

const throttle = () =>
  new AutoScalingServiceException({
    name: 'Throttling',
    $fault: 'client',
    $metadata: { httpStatusCode: 400, requestId: 'req-throttled' },
    message: 'Rate exceeded',
  });

const code = (name: string, message: string) =>
  new AutoScalingServiceException({
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: 400, requestId: 'req-1' },
    message,
  });

export class FakeFleet {
  readonly groups: FakeGroup[] = [];
  /** AMI per launch template version. */
  readonly amis = new Map<string, string>([
    ['1', 'ami-00000000000000001'],
    ['2', 'ami-00000000000000002'],
  ]);
  /** Versions whose instances fail health checks. */
  readonly bad = new Set<string>();
  /** Clock time of every Auto Scaling call (made or throttled), per region. */
  readonly autoScalingCalls: { region: string; at: number; op: string; throttled: boolean }[] = [];
  readonly clients: AwsClients;
  /** The most group names one DescribeAutoScalingGroups asked for. */
  largestScan = 0;
  /** Instance ids DescribeInstances was asked about, each time. */
  readonly describedInstances: string[] = [];
  private seq = 0;
  private asCount = 0;
  private readonly stepMs: number;
  private readonly rollbackStepMs: number;

  constructor(
    private readonly clock: Clock,
    private readonly o: FleetOptions = {},
  ) {
    this.stepMs = o.stepMs ?? 20_000;
    this.rollbackStepMs = o.rollbackStepMs ?? 10_000;
    const perRegion = new Map<
      string,
      { as: AutoScalingClient; ec2: EC2Client; elb: ElasticLoadBalancingV2Client }
    >();
    const get = (region: string) => {
      let c = perRegion.get(region);
      if (!c) {
        c = this.mock(region);
        perRegion.set(region, c);
      }
      return c;
    };
    this.clients = {
      defaultRegion: 'eu-west-1',
      autoScaling: (r) => get(r ?? 'eu-west-1').as,
      ec2: (r) => get(r ?? 'eu-west-1').ec2,
      elbv2: (r) => get(r ?? 'eu-west-1').elb,
      ssm: () => new SSMClient({ region: 'eu-west-1' }),
      sts: () => new STSClient({ region: 'eu-west-1' }),
      destroy: () => undefined,
    };
  }

  addGroup(
    region: string,
    name: string,
    o: { desired?: number; version?: string; targetGroup?: boolean; tags?: Record<string, string> } = {},
  ): FakeGroup {
    const version = o.version ?? '1';
    const g: FakeGroup = {
      region,
      name,
      desired: o.desired ?? 3,
      version,
      instances: [],
      tags: o.tags ?? {},
      targetGroupArn:
        o.targetGroup === false
          ? undefined
          : `arn:aws:elasticloadbalancing:${region}:000000000000:targetgroup/${name}-tg/0123456789abcdef`,
    };
    for (let i = 0; i < g.desired; i++) g.instances.push(this.launch(version));
    this.groups.push(g);
    return g;
  }

  /** Starts a refresh to `toVersion`, as roll-asg would. */
  startRefresh(g: FakeGroup, toVersion: string, extra: Partial<FakeRefresh> = {}): FakeRefresh {
    g.refresh = {
      id: `refresh-${g.name}`,
      status: 'InProgress',
      start: this.clock.now(),
      toVersion,
      fromVersion: g.version,
      replaced: 0,
      ...extra,
    };
    return g.refresh;
  }

  group(name: string): FakeGroup {
    const g = this.groups.find((x) => x.name === name);
    if (!g) throw new Error(`no group ${name}`);
    return g;
  }

  private launch(version: string): FakeInstance {
    const n = ++this.seq;
    return {
      id: `i-${n.toString(16).padStart(17, '0')}`,
      version,
      ami: this.amis.get(version) ?? 'ami-unknown000000000',
      ip: `127.10.0.${n}`,
    };
  }

  /** Moves every refresh forward to the clock's now. */
  advance(): void {
    const now = this.clock.now();
    for (const g of this.groups) {
      const r = g.refresh;
      if (!r) continue;
      if ((r.status === 'InProgress' || r.status === 'Baking') && r.failAt !== undefined && now >= r.failAt) {
        r.status = 'Failed';
        r.reason = 'Instances failed to launch: capacity not available';
        r.end = now;
      }
      if (
        (r.status === 'InProgress' || r.status === 'Baking') &&
        r.awsRollbackAt !== undefined &&
        now >= r.awsRollbackAt
      ) {
        r.status = 'RollbackInProgress';
        r.reason = 'Alarm web-5xx in ALARM state: rolling back';
        r.rollbackStart = now;
      }
      if (r.status === 'InProgress') {
        // A bad image's first replacement never turns healthy, so the refresh stalls on it.
        const target = this.bad.has(r.toVersion)
          ? Math.min(1, g.desired)
          : Math.min(g.desired, Math.floor((now - r.start) / this.stepMs));
        while (r.replaced < target) {
          g.instances[r.replaced] = this.launch(r.toVersion);
          r.replaced++;
        }
        if (r.replaced === g.desired && !this.bad.has(r.toVersion)) {
          g.version = r.toVersion;
          if (r.bakeMs) r.status = 'Baking';
          else {
            r.status = 'Successful';
            r.end = now;
          }
        }
      }
      if (r.status === 'Baking' && now >= r.start + g.desired * this.stepMs + (r.bakeMs ?? 0)) {
        r.status = 'Successful';
        r.end = now;
      }
      if (r.status === 'RollbackInProgress' && now >= (r.rollbackStart ?? now) + this.rollbackStepMs) {
        g.version = r.fromVersion;
        g.instances = g.instances.map((i) => (i.version === r.fromVersion ? i : this.launch(r.fromVersion)));
        r.status = 'RollbackSuccessful';
        r.end = now;
      }
      if (r.status === 'Cancelling') {
        r.status = 'Cancelled';
        r.end = now;
      }
    }
  }

  private percent(g: FakeGroup, r: FakeRefresh): number {
    const healthyNew = g.instances.filter(
      (i) => i.version === r.toVersion && !this.bad.has(i.version),
    ).length;
    return Math.floor((100 * healthyNew) / g.desired);
  }

  private asCall(region: string, op: string): void {
    this.asCount++;
    const throttled = Boolean(this.o.throttleEvery && this.asCount % this.o.throttleEvery === 0);
    this.autoScalingCalls.push({ region, at: this.clock.now(), op, throttled });
    if (throttled) throw throttle();
    this.advance();
  }

  private mock(region: string) {
    const as = new AutoScalingClient({ region });
    const ec2 = new EC2Client({ region });
    const elb = new ElasticLoadBalancingV2Client({ region });
    const inRegion = () => this.groups.filter((g) => g.region === region);
    const asMock = mockClient(as);
    asMock
      .on(DescribeInstanceRefreshesCommand)
      .callsFake((input: { AutoScalingGroupName: string; InstanceRefreshIds?: string[] }) => {
        this.asCall(region, 'DescribeInstanceRefreshes');
        if (this.o.refreshReadsFail)
          throw new AutoScalingServiceException({
            name: 'ServiceUnavailable',
            $fault: 'server',
            $metadata: { httpStatusCode: 503, requestId: 'req-unavailable' },
            message: 'Service Unavailable',
          });
        const g = inRegion().find((x) => x.name === input.AutoScalingGroupName);
        const r = g?.refresh;
        if (!g || !r || (input.InstanceRefreshIds && !input.InstanceRefreshIds.includes(r.id)))
          return { InstanceRefreshes: [] };
        return {
          InstanceRefreshes: [
            {
              InstanceRefreshId: r.id,
              AutoScalingGroupName: g.name,
              Status: r.status,
              StatusReason: r.reason,
              StartTime: new Date(r.start),
              EndTime: r.end !== undefined ? new Date(r.end) : undefined,
              PercentageComplete: r.status.startsWith('Rollback') ? 0 : this.percent(g, r),
              InstancesToUpdate: g.desired - r.replaced,
              Preferences: r.checkpoints ? { CheckpointPercentages: r.checkpoints, CheckpointDelay: 0 } : {},
              DesiredConfiguration: {
                LaunchTemplate: { LaunchTemplateId: 'lt-0123456789abcdef0', Version: r.toVersion },
              },
              RollbackDetails:
                r.rollbackStart !== undefined
                  ? { RollbackStartTime: new Date(r.rollbackStart), PercentageCompleteOnRollback: 50 }
                  : undefined,
            },
          ],
        };
      });
    asMock
      .on(DescribeAutoScalingGroupsCommand)
      .callsFake(
        (input: { AutoScalingGroupNames?: string[]; Filters?: { Name: string; Values: string[] }[] }) => {
          this.asCall(region, 'DescribeAutoScalingGroups');
          this.largestScan = Math.max(this.largestScan, input.AutoScalingGroupNames?.length ?? 0);
          const groups = inRegion().filter(
            (g) =>
              (!input.AutoScalingGroupNames || input.AutoScalingGroupNames.includes(g.name)) &&
              (input.Filters ?? []).every((f) =>
                f.Values.includes(g.tags[f.Name.replace(/^tag:/, '')] ?? '\0'),
              ),
          );
          return {
            AutoScalingGroups: groups.map((g) => ({
              AutoScalingGroupName: g.name,
              DesiredCapacity: g.desired,
              MinSize: 0,
              MaxSize: 10,
              LaunchTemplate: { LaunchTemplateId: 'lt-0123456789abcdef0', Version: g.version },
              TargetGroupARNs: g.targetGroupArn ? [g.targetGroupArn] : [],
              Tags: Object.entries(g.tags).map(([Key, Value]) => ({ Key, Value })),
              Instances: g.instances.map((i) => ({
                InstanceId: i.id,
                LifecycleState: 'InService',
                HealthStatus: 'Healthy',
                LaunchTemplate: { LaunchTemplateId: 'lt-0123456789abcdef0', Version: i.version },
              })),
            })),
          };
        },
      );
    asMock.on(RollbackInstanceRefreshCommand).callsFake((input: { AutoScalingGroupName: string }) => {
      this.asCall(region, 'RollbackInstanceRefresh');
      const g = inRegion().find((x) => x.name === input.AutoScalingGroupName);
      const r = g?.refresh;
      if (!r || !['Pending', 'InProgress', 'Baking'].includes(r.status))
        throw code('ActiveInstanceRefreshNotFound', 'No in progress or pending Instance Refresh found');
      if (r.irreversible)
        throw code('IrreversibleInstanceRefresh', 'The launch template uses an SSM parameter for ImageId');
      r.status = 'RollbackInProgress';
      r.rollbackStart = this.clock.now();
      return { InstanceRefreshId: r.id };
    });
    asMock.on(CancelInstanceRefreshCommand).callsFake((input: { AutoScalingGroupName: string }) => {
      this.asCall(region, 'CancelInstanceRefresh');
      const r = inRegion().find((x) => x.name === input.AutoScalingGroupName)?.refresh;
      if (!r || !['Pending', 'InProgress', 'Baking'].includes(r.status))
        throw code('ActiveInstanceRefreshNotFound', 'No in progress or pending Instance Refresh found');
      r.status = 'Cancelling';
      return { InstanceRefreshId: r.id };
    });
    const ec2Mock = mockClient(ec2);
    ec2Mock
      .on(DescribeInstancesCommand)
      .callsFake((input: { Filters?: { Name: string; Values: string[] }[] }) => {
        const ids = new Set(input.Filters?.find((f) => f.Name === 'instance-id')?.Values ?? []);
        this.describedInstances.push(...ids);
        const all = inRegion().flatMap((g) => g.instances);
        return {
          Reservations: [
            {
              Instances: all
                .filter((i) => ids.has(i.id))
                .map((i) => ({
                  InstanceId: i.id,
                  ImageId: i.ami,
                  PrivateIpAddress: i.ip,
                  PrivateDnsName: `ip-${i.ip.replaceAll('.', '-')}.${region}.compute.internal`,
                })),
            },
          ],
        };
      });
    ec2Mock.on(DescribeLaunchTemplateVersionsCommand).callsFake((input: { Versions?: string[] }) => {
      const v = input.Versions?.[0] ?? '1';
      return {
        LaunchTemplateVersions: [
          { VersionNumber: Number(v), LaunchTemplateData: { ImageId: this.amis.get(v) } },
        ],
      };
    });
    const elbMock = mockClient(elb);
    elbMock.on(DescribeTargetHealthCommand).callsFake((input: { TargetGroupArn: string }) => {
      const g = inRegion().find((x) => x.targetGroupArn === input.TargetGroupArn);
      return {
        TargetHealthDescriptions: (g?.instances ?? []).map((i) => ({
          Target: { Id: i.id, Port: 80 },
          TargetHealth: { State: this.bad.has(i.version) ? 'unhealthy' : 'healthy' },
        })),
      };
    });
    return { as, ec2, elb };
  }
}
