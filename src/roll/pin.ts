// A group on `$Latest`/`$Default` is pinned to the numbered version it runs today before its
// refresh starts: AWS cannot roll back a group that uses $Latest or $Default, and on $Latest the
// new version would be live for every scale-out the moment it exists. Pinning replaces nothing.
import {
  UpdateAutoScalingGroupCommand,
  type LaunchTemplateSpecification,
  type UpdateAutoScalingGroupCommandInput,
} from '@aws-sdk/client-auto-scaling';
import { describeError, withContext } from '../core/errors.js';
import type { ActionContext } from '../core/context.js';
import { templateLabel } from './launch-template.js';
import type { GroupPlan } from './plan.js';
import { groupLabel } from '../aws/group-label.js';
import { mapLaunchSource } from '../aws/group-templates.js';

const floating = (v: string | undefined) => v === undefined || v === '$Latest' || v === '$Default';

/** A group's launch source, as UpdateAutoScalingGroup takes it (one template identifier per spec). */
export type LaunchSource = Pick<
  UpdateAutoScalingGroupCommandInput,
  'LaunchTemplate' | 'MixedInstancesPolicy'
>;

/** Puts the group back as it was: the start that needed the pin failed. */
export type Unpin = () => Promise<void>;

/** The group's launch source with every template spec passed through `map` (mixed-instances overrides too). */
export function launchSource(
  plan: GroupPlan,
  mapSpec: (spec: LaunchTemplateSpecification) => LaunchTemplateSpecification,
): LaunchSource {
  // A group is described with both the template's id and name; AWS takes "the ID or the name of
  // the launch template, but not both" (LaunchTemplateSpecification), so only the id goes back.
  const map = (spec: LaunchTemplateSpecification) => oneIdentifier(mapSpec(spec));
  if (plan.kind === 'launch-template') return { LaunchTemplate: map(plan.group.LaunchTemplate!) };
  return mapLaunchSource({ MixedInstancesPolicy: plan.group.MixedInstancesPolicy! }, map);
}

/** The specs the group names with a floating version, each with the number it resolves to now. */
function pins(
  plan: GroupPlan,
): Map<LaunchTemplateSpecification, { id: string; version: number; label: string }> {
  const out = new Map<LaunchTemplateSpecification, { id: string; version: number; label: string }>();
  launchSource(plan, (spec) => {
    const t = floating(spec.Version)
      ? plan.templates.find(
          (x) =>
            x.requested === (spec.Version ?? '$Default') &&
            (spec.LaunchTemplateId === x.id ||
              (!spec.LaunchTemplateId && spec.LaunchTemplateName === x.name)),
        )
      : undefined;
    if (t) out.set(spec, { id: t.id, version: t.version, label: `${templateLabel(t)} ${t.requested}` });
    return spec;
  });
  return out;
}

function oneIdentifier(s: LaunchTemplateSpecification): LaunchTemplateSpecification {
  const { LaunchTemplateId: id, LaunchTemplateName: name, ...rest } = s;
  return id ? { LaunchTemplateId: id, ...rest } : { LaunchTemplateName: name, ...rest };
}

/** The group's launch source as written, and with every floating version pinned to the number it resolves to now. */
export function sourcesOf(plan: GroupPlan): { source: LaunchSource; pinned: LaunchSource } {
  const found = pins(plan);
  return {
    source: launchSource(plan, (spec) => spec),
    pinned: launchSource(plan, (spec) => {
      const p = found.get(spec);
      return p ? { LaunchTemplateId: p.id, Version: String(p.version) } : spec;
    }),
  };
}

/**
 * Pins the group's floating launch template versions to their numbers (UpdateAutoScalingGroup,
 * which replaces no instance). Returns how to undo it, or undefined when nothing floats.
 */
export async function pinFloatingVersions(ctx: ActionContext, plan: GroupPlan): Promise<Unpin | undefined> {
  const found = pins(plan);
  if (!found.size) return undefined;
  const who = groupLabel(plan.region, plan.name);
  const client = ctx.clients.autoScaling(plan.region);
  const pinned = launchSource(plan, (spec) => {
    const p = found.get(spec);
    return p ? { LaunchTemplateId: p.id, Version: String(p.version) } : spec;
  });
  try {
    await client.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: plan.name, ...pinned }), {
      abortSignal: ctx.signal,
    });
  } catch (err) {
    throw withContext(`pinning ${who} to numbered launch template versions`, err);
  }
  const what = [...found.values()].map((p) => `${p.label} → version ${p.version}`).join(', ');
  ctx.log.info(`${who}: pinned ${what} (no instance replaced) so AWS can roll the refresh back`);
  const original = launchSource(plan, (spec) => spec);
  return async () => {
    try {
      // Not tied to the (possibly aborted) run signal: the group must not stay half-changed.
      await client.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: plan.name, ...original }));
      ctx.log.info(
        `${who}: the refresh did not start; the group is back on ${[...found.values()].map((p) => p.label).join(', ')}`,
      );
    } catch (err) {
      ctx.log.warning(
        `${who}: the refresh did not start and the group stays pinned (${what}): ${describeError(err)}`,
      );
    }
  };
}
