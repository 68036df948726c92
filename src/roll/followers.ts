// Groups the run did not select that launch from a template it is about to give a new version:
// AWS "selects the latest version of the launch template when launching instances" for a group on
// $Latest, so the new version would be live in that group (another environment, another team) the
// moment it exists; on $Default, the moment the default moves. Refused before any change.
import type { ActionContext } from '../core/context.js';
import { withContext } from '../core/errors.js';
import { groupTemplateSpecs } from '../aws/group-templates.js';
import { describeGroups } from '../aws/groups.js';
import { templateLabel } from './launch-template.js';
import type { GroupPlan, PlanProblem } from './plan.js';
import { groupLabel } from '../aws/group-label.js';

/** The templates a plan gives a new version (literal image, not already the AMI). */
function versioned(p: GroupPlan) {
  return p.alreadyCurrent
    ? []
    : p.templates.filter((t) => t.ssmParameter === undefined && t.imageId !== p.amiId);
}

/**
 * One problem per unselected group following `$Latest` (or `$Default`, when the default moves)
 * on a template this run versions, naming the group and how to proceed.
 */
export async function followerProblems(
  ctx: ActionContext,
  plans: readonly GroupPlan[],
  o: { defaultMoves: boolean },
): Promise<PlanProblem[]> {
  const problems: PlanProblem[] = [];
  for (const region of new Set(plans.map((p) => p.region))) {
    const here = plans.filter((p) => p.region === region);
    const templates = new Map(here.flatMap(versioned).map((t) => [t.id, t]));
    if (!templates.size) continue;
    const selected = new Set(here.map((p) => p.name));
    const all = await describeGroups(ctx.clients.autoScaling(region), {}, { signal: ctx.signal }).catch(
      (err: unknown) => {
        throw withContext(`listing the Auto Scaling groups of ${region}`, err);
      },
    );
    for (const g of all) {
      // A group being deleted launches nothing more.
      if (
        !g.AutoScalingGroupName ||
        selected.has(g.AutoScalingGroupName) ||
        g.Status === 'Delete in progress'
      )
        continue;
      for (const spec of groupTemplateSpecs(g)) {
        const t = spec.LaunchTemplateId ? templates.get(spec.LaunchTemplateId) : undefined;
        const follows = spec.Version ?? '$Default';
        if (!t || !(follows === '$Latest' || (follows === '$Default' && o.defaultMoves))) continue;
        problems.push({
          message:
            `group ${groupLabel(region, g.AutoScalingGroupName ?? '')} was not selected but follows ${follows} of launch template ${templateLabel(t)}, ` +
            `which this run gives a new version with ${here[0]!.amiId}: it would launch the AMI before anything is proven. ` +
            `Select it too (asg-names / asg-tags), pin it to a version number, or give it its own launch template.`,
        });
      }
    }
  }
  return problems;
}
