// Which launch templates an Auto Scaling group launches from.
import type { AutoScalingGroup, LaunchTemplateSpecification } from '@aws-sdk/client-auto-scaling';

/**
 * The group's launch template, or its mixed-instances template and every override that names a
 * template of its own (instances of that type launch from it). Empty for a launch configuration.
 */
export function groupTemplateSpecs(
  g: Pick<AutoScalingGroup, 'LaunchTemplate' | 'MixedInstancesPolicy'>,
): LaunchTemplateSpecification[] {
  if (g.LaunchTemplate) return [g.LaunchTemplate];
  const mixed = g.MixedInstancesPolicy?.LaunchTemplate;
  if (!mixed?.LaunchTemplateSpecification) return [];
  const overrides = (mixed.Overrides ?? []).flatMap((o) =>
    o.LaunchTemplateSpecification ? [o.LaunchTemplateSpecification] : [],
  );
  return [mixed.LaunchTemplateSpecification, ...overrides];
}
