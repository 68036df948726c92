// The healthy verdict over one look at a group: pure, so every rule is unit-tested directly.
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { Instance } from '@aws-sdk/client-ec2';
import type { TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { HttpCheck } from './http-check.js';
import { targetGroupArns } from './traffic-sources.js';

export interface Expected {
  /** Launch template version number the instances must carry. */
  version?: string;
  amiId?: string;
}

export interface Snapshot {
  group: AutoScalingGroup;
  instances: ReadonlyMap<string, Instance>;
  /** Target group ARN → its targets' health. */
  targets: ReadonlyMap<string, readonly TargetHealthDescription[]>;
  /**
   * `auto-scaling`: the targets were not described; the group's ELB health check stands for them
   * (round.ts `targetsByAutoScaling`): each InService instance's HealthStatus is its target's health.
   */
  targetsFrom?: 'auto-scaling';
  /** Instance id → health-url result; absent when no health-url is configured or not yet checked. */
  http?: ReadonlyMap<string, HttpCheck>;
  /** The group's warm-pool instances (DescribeWarmPool); their AMIs are in `instances` too. */
  warm?: readonly GroupMember[];
}

type GroupMember = NonNullable<AutoScalingGroup['Instances']>[number];

export interface Verdict {
  ok: boolean;
  /** Short reasons it is not (yet) healthy, one per rule that fails. */
  problems: string[];
  /** Instances positively seen unhealthy (load balancer, Auto Scaling, or health-url). */
  unhealthy: string[];
  inService: string[];
  desired: number;
  onExpected: number;
  healthyTargets: number;
  totalTargets: number;
  httpOk: number;
  /** The group judged, and where its target health came from. */
  group: AutoScalingGroup;
  targetsFrom: 'described' | 'auto-scaling';
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Which launch template version an instance of the group was launched from, when it says. */
function instanceVersion(i: GroupMember): string | undefined {
  return i.LaunchTemplate?.Version;
}

/** The members not on the expected version and AMI, described for the problem line. */
function staleOf(s: Snapshot, members: readonly GroupMember[], expected: Expected): string[] {
  const stale: string[] = [];
  for (const m of members) {
    const id = m.InstanceId!;
    const version = instanceVersion(m);
    const ami = s.instances.get(id)?.ImageId;
    // Groups on $Latest/$Default report that alias, not a number: then the AMI decides.
    const versionOk = !expected.version || !version || !/^\d+$/.test(version) || version === expected.version;
    const amiOk = !expected.amiId || ami === expected.amiId;
    if (!versionOk || !amiOk)
      stale.push(
        `${id} (${[!versionOk && `version ${version}`, !amiOk && (ami ?? 'AMI unknown')].filter(Boolean).join(', ')})`,
      );
  }
  return stale;
}

const listed = (items: readonly string[]) =>
  `${items.slice(0, 5).join(', ')}${items.length > 5 ? ', …' : ''}`;

export function verify(s: Snapshot, expected: Expected, httpConfigured: boolean): Verdict {
  const problems: string[] = [];
  const unhealthy = new Set<string>();
  const members = s.group.Instances ?? [];
  const serving = members.filter((i) => i.LifecycleState === 'InService' && i.InstanceId);
  const inService = serving.map((i) => i.InstanceId!);
  const desired = s.group.DesiredCapacity ?? 0;

  for (const i of members) if (i.InstanceId && i.HealthStatus === 'Unhealthy') unhealthy.add(i.InstanceId);

  if (inService.length < desired)
    problems.push(`${inService.length} of ${desired} desired instances InService`);

  const stale = staleOf(s, serving, expected);
  const onExpected = serving.length - stale.length;
  const want = [expected.version && `version ${expected.version}`, expected.amiId]
    .filter(Boolean)
    .join(' / ');
  if (stale.length) problems.push(`${plural(stale.length, 'instance')} not on ${want}: ${listed(stale)}`);
  // Warm-pool instances join the group on the next scale-out: they must run the AMI too.
  const staleWarm = staleOf(
    s,
    (s.warm ?? []).filter((i) => i.InstanceId),
    expected,
  );
  if (staleWarm.length)
    problems.push(`${plural(staleWarm.length, 'warm-pool instance')} not on ${want}: ${listed(staleWarm)}`);

  const { healthyTargets, totalTargets } = checkTargets(s, inService, problems, unhealthy);
  const httpOk = httpConfigured ? checkHttp(s, inService, problems, unhealthy) : 0;

  return {
    ok: problems.length === 0,
    problems,
    unhealthy: [...unhealthy],
    inService,
    desired,
    onExpected,
    healthyTargets,
    totalTargets,
    httpOk,
    group: s.group,
    targetsFrom: s.targetsFrom ?? 'described',
  };
}

/** Every InService instance a healthy target of each of the group's target groups. */
function checkTargets(
  s: Snapshot,
  inService: readonly string[],
  problems: string[],
  unhealthy: Set<string>,
): { healthyTargets: number; totalTargets: number } {
  let healthyTargets = 0;
  let totalTargets = 0;
  const byAutoScaling = new Map(
    (s.group.Instances ?? []).map((i) => [
      i.InstanceId,
      i.HealthStatus === 'Healthy' ? 'healthy' : 'unhealthy',
    ]),
  );
  for (const arn of targetGroupArns(s.group)) {
    const byId =
      s.targetsFrom === 'auto-scaling'
        ? byAutoScaling
        : new Map((s.targets.get(arn) ?? []).map((t) => [t.Target?.Id, t.TargetHealth?.State]));
    const name = arn.split('/').slice(-2, -1)[0] ?? arn;
    const notHealthy: string[] = [];
    for (const id of inService) {
      totalTargets++;
      const state = byId.get(id);
      if (state === 'healthy') healthyTargets++;
      else {
        notHealthy.push(`${id} ${state ?? 'not registered'}`);
        if (state === 'unhealthy') unhealthy.add(id);
      }
    }
    if (notHealthy.length)
      problems.push(
        `target group ${name}: ${notHealthy.slice(0, 5).join(', ')}${notHealthy.length > 5 ? ', …' : ''}`,
      );
  }
  return { healthyTargets, totalTargets };
}

/** Every InService instance answered the health-url as expected; returns how many did. */
function checkHttp(
  s: Snapshot,
  inService: readonly string[],
  problems: string[],
  unhealthy: Set<string>,
): number {
  let httpOk = 0;
  const failing: string[] = [];
  for (const id of inService) {
    const c = s.http?.get(id);
    if (c?.ok) httpOk++;
    else if (c) {
      failing.push(`${id} ${c.detail}`);
      unhealthy.add(id);
    } else failing.push(`${id} not checked`);
  }
  if (failing.length)
    problems.push(`health-url: ${failing.slice(0, 5).join(', ')}${failing.length > 5 ? ', …' : ''}`);
  return httpOk;
}
