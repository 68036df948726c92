// Traffic sources of a group: ELBv2 target groups given as TargetGroupARNs (the older API) and any
// traffic source attached with AttachTrafficSources / CreateAutoScalingGroup TrafficSources.
import type { AsgRegion } from './autoscaling-state.js';
import type { AutoScalingGroup, TrafficSourceRef } from './autoscaling-types.js';
import { targetHealth } from './elbv2-state.js';
import { AwsError } from './service.js';

const TYPES = ['elb', 'elbv2', 'vpc-lattice'];

/** Every ELBv2 target group the group registers its instances in, however it was attached. */
export function elbv2TargetGroups(group: AutoScalingGroup): string[] {
  const fromSources = group.trafficSources.filter((s) => s.Type === 'elbv2').map((s) => s.Identifier);
  return [...new Set([...group.targetGroupArns, ...fromSources])];
}

/** Every traffic source of the group, as DescribeTrafficSources and the group's TrafficSources list them. */
export function allTrafficSources(group: AutoScalingGroup): TrafficSourceRef[] {
  const seen = new Set<string>();
  const out: TrafficSourceRef[] = [];
  for (const s of [
    ...group.targetGroupArns.map((arn) => ({ Identifier: arn, Type: 'elbv2' })),
    ...group.trafficSources,
  ]) {
    if (seen.has(`${s.Type}|${s.Identifier}`)) continue;
    seen.add(`${s.Type}|${s.Identifier}`);
    out.push(s);
  }
  return out;
}

/** Validates TrafficSources as AttachTrafficSources and CreateAutoScalingGroup do. */
export function parseTrafficSources(region: AsgRegion, input: unknown): TrafficSourceRef[] {
  const list = Array.isArray(input) ? (input as { Identifier?: string; Type?: string }[]) : [];
  if (list.length > 10) throw new AwsError('ValidationError', 'You can specify up to 10 traffic sources.');
  return list.map((s) => {
    if (!s.Identifier) throw new AwsError('ValidationError', 'TrafficSources.Identifier is required.');
    // Type is optional in the API; an ARN of a target group means elbv2.
    const type = s.Type ?? (s.Identifier.includes(':targetgroup/') ? 'elbv2' : 'elb');
    if (!TYPES.includes(type))
      throw new AwsError(
        'ValidationError',
        `Traffic source type ${type} is not valid. Valid types: ${TYPES.join(', ')}`,
      );
    if (type === 'elbv2' && !region.targetGroups.has(s.Identifier))
      throw new AwsError(
        'ValidationError',
        `Provided Target Groups may not be valid. Please ensure they exist and try again. (${s.Identifier})`,
      );
    return { Identifier: s.Identifier, Type: type };
  });
}

/**
 * The attachment state: Added once the instances are registered, InService when at least one
 * passed the ELB health check (for sources localcloud does not model, Added).
 */
export function trafficSourceState(region: AsgRegion, group: AutoScalingGroup, s: TrafficSourceRef): string {
  if (s.Type !== 'elbv2') return 'Added';
  const tg = region.targetGroups.get(s.Identifier);
  if (!tg) return 'Removed';
  const now = region.platform.now();
  const healthy = [...tg.targets.values()].some(
    (t) =>
      group.instances.has(t.id) && targetHealth(t, region.platform, region.timings, now).State === 'healthy',
  );
  return healthy ? 'InService' : 'Added';
}
