// The ELBv2 target groups an Auto Scaling group sends traffic through.
// TargetGroupARNs (the older API) and the elbv2 entries of TrafficSources (AttachTrafficSources,
// the API AWS recommends). Classic Load Balancers and VPC Lattice are not read here; their checks
// reach us through the group's health check type, which Auto Scaling applies to instance health.
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';

/** An ELBv2 target group ARN: what `elbv2` traffic sources name (Type is optional in the API). */
const TARGET_GROUP_ARN = /^arn:[^:]+:elasticloadbalancing:[^:]*:\d*:targetgroup\//;

export function targetGroupArns(group: AutoScalingGroup | undefined): string[] {
  if (!group) return [];
  const fromSources = (group.TrafficSources ?? [])
    .filter((s) => s.Identifier && (s.Type === 'elbv2' || (!s.Type && TARGET_GROUP_ARN.test(s.Identifier))))
    .map((s) => s.Identifier!);
  return [...new Set([...(group.TargetGroupARNs ?? []), ...fromSources])];
}
