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
  /** Instance id → health-url result; absent when no health-url is configured or not yet checked. */
  http?: ReadonlyMap<string, HttpCheck>;
}

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
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Which launch template version an instance of the group was launched from, when it says. */
function instanceVersion(i: NonNullable<AutoScalingGroup['Instances']>[number]): string | undefined {
  return i.LaunchTemplate?.Version;
}

export function verify(s: Snapshot, expected: Expected, httpConfigured: boolean): Verdict {
  const problems: string[] = [];
  const unhealthy = new Set<string>();
  const members = s.group.Instances ?? [];
  const inService = members
    .filter((i) => i.LifecycleState === 'InService' && i.InstanceId)
    .map((i) => i.InstanceId!);
  const desired = s.group.DesiredCapacity ?? 0;

  for (const i of members) if (i.InstanceId && i.HealthStatus === 'Unhealthy') unhealthy.add(i.InstanceId);

  if (inService.length < desired)
    problems.push(`${inService.length} of ${desired} desired instances InService`);

  let onExpected = 0;
  const stale: string[] = [];
  for (const m of members.filter((i) => i.LifecycleState === 'InService')) {
    const id = m.InstanceId!;
    const version = instanceVersion(m);
    const ami = s.instances.get(id)?.ImageId;
    // Groups on $Latest/$Default report that alias, not a number: then the AMI decides.
    const versionOk = !expected.version || !version || !/^\d+$/.test(version) || version === expected.version;
    const amiOk = !expected.amiId || ami === expected.amiId;
    if (versionOk && amiOk) onExpected++;
    else
      stale.push(
        `${id} (${[!versionOk && `version ${version}`, !amiOk && (ami ?? 'AMI unknown')].filter(Boolean).join(', ')})`,
      );
  }
  if (stale.length) {
    const want = [expected.version && `version ${expected.version}`, expected.amiId]
      .filter(Boolean)
      .join(' / ');
    problems.push(
      `${plural(stale.length, 'instance')} not on ${want}: ${stale.slice(0, 5).join(', ')}${stale.length > 5 ? ', …' : ''}`,
    );
  }

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
  for (const arn of targetGroupArns(s.group)) {
    const byId = new Map((s.targets.get(arn) ?? []).map((t) => [t.Target?.Id, t.TargetHealth?.State]));
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
