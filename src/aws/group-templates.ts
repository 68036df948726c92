// Which launch templates an Auto Scaling group launches from.
import type {
  AutoScalingGroup,
  LaunchTemplateSpecification,
  MixedInstancesPolicy,
} from '@aws-sdk/client-auto-scaling';

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

/**
 * The template a launch source (a group, a refresh's desired configuration) launches from: its
 * launch template, else its mixed-instances policy's; overrides aside. Undefined for none.
 */
export function launchTemplateOf(
  source: Pick<AutoScalingGroup, 'LaunchTemplate' | 'MixedInstancesPolicy'> | undefined,
): LaunchTemplateSpecification | undefined {
  return source ? groupTemplateSpecs(source)[0] : undefined;
}

/** A launch source as groups, updates and refreshes' desired configurations write it. */
type Source = { LaunchTemplate?: LaunchTemplateSpecification; MixedInstancesPolicy?: MixedInstancesPolicy };

/** The launch source with every template spec passed through `map`, mixed-instances overrides too. */
export function mapLaunchSource<T extends Source>(
  source: T,
  map: (spec: LaunchTemplateSpecification) => LaunchTemplateSpecification,
): T {
  if (source.LaunchTemplate) return { ...source, LaunchTemplate: map(source.LaunchTemplate) };
  const policy = source.MixedInstancesPolicy;
  const lt = policy?.LaunchTemplate;
  if (!policy || !lt) return source;
  const spec = lt.LaunchTemplateSpecification;
  return {
    ...source,
    MixedInstancesPolicy: {
      ...policy,
      LaunchTemplate: {
        ...lt,
        ...(spec ? { LaunchTemplateSpecification: map(spec) } : {}),
        ...(lt.Overrides
          ? {
              Overrides: lt.Overrides.map((o) =>
                o.LaunchTemplateSpecification
                  ? { ...o, LaunchTemplateSpecification: map(o.LaunchTemplateSpecification) }
                  : o,
              ),
            }
          : {}),
      },
    },
  };
}
