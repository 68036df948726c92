// The AMI must run on every instance type a group launches: EC2 refuses a mismatch at launch, so
// a refresh onto it could only fail. Checked for every group before anything changes.
import { paginateDescribeInstanceTypes, type _InstanceType } from '@aws-sdk/client-ec2';
import { describeImage } from '../aws/images.js';
import { withContext } from '../core/errors.js';
import type { ActionContext } from '../core/context.js';
import { templateLabel } from './launch-template.js';
import type { GroupPlan, PlanProblem } from './plan.js';
import { groupLabel } from '../aws/group-label.js';

/** An instance type a group launches, and where the group names it. */
interface LaunchedType {
  type: string;
  from: string;
}

/**
 * The instance types a group launches: the launch template's InstanceType, or for a mixed
 * instances policy each override's (an override without one uses its template's). Types chosen
 * by InstanceRequirements are not known before launch; roll() warns about those groups.
 */
export function launchedTypes(plan: GroupPlan): LaunchedType[] {
  const main = plan.templates[0]!;
  const label = (t: { id: string; name?: string; version: number }) =>
    `launch template ${templateLabel(t)} version ${t.version}`;
  const overrides = plan.group.MixedInstancesPolicy?.LaunchTemplate?.Overrides ?? [];
  const typed = overrides.filter((o) => o.InstanceType || o.LaunchTemplateSpecification);
  if (plan.kind === 'mixed-instances' && typed.length) {
    return typed.flatMap((o, i) => {
      if (o.InstanceType) return [{ type: o.InstanceType, from: `mixed instances override ${i + 1}` }];
      const spec = o.LaunchTemplateSpecification!;
      const t = plan.templates.find(
        (x) =>
          x.id === spec.LaunchTemplateId || (!spec.LaunchTemplateId && x.name === spec.LaunchTemplateName),
      );
      return t?.instanceType ? [{ type: t.instanceType, from: label(t) }] : [];
    });
  }
  return main.instanceType ? [{ type: main.instanceType, from: label(main) }] : [];
}

async function imageArchitecture(
  ctx: ActionContext,
  region: string,
  amiId: string,
): Promise<string | undefined> {
  return (await describeImage(ctx.clients.ec2(region), region, amiId, ctx.signal))?.Architecture;
}

async function typeArchitectures(
  ctx: ActionContext,
  region: string,
  types: string[],
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < types.length; i += 100) {
    const batch = types.slice(i, i + 100) as _InstanceType[];
    try {
      const pages = paginateDescribeInstanceTypes(
        { client: ctx.clients.ec2(region) },
        { InstanceTypes: batch },
        { abortSignal: ctx.signal },
      );
      for await (const page of pages)
        for (const t of page.InstanceTypes ?? [])
          if (t.InstanceType) out.set(t.InstanceType, t.ProcessorInfo?.SupportedArchitectures ?? []);
    } catch (err) {
      throw withContext(`describing instance types ${batch.join(', ')} in ${region}`, err);
    }
  }
  return out;
}

/** One problem per group whose instance types cannot run the AMI of its region. */
export async function architectureProblems(
  ctx: ActionContext,
  plans: readonly GroupPlan[],
  amiIds: Readonly<Record<string, string>>,
): Promise<PlanProblem[]> {
  const problems: PlanProblem[] = [];
  const toCheck = plans.filter((p) => !p.alreadyCurrent);
  for (const p of toCheck)
    if (p.group.MixedInstancesPolicy?.LaunchTemplate?.Overrides?.some((o) => o.InstanceRequirements))
      ctx.log.warning(
        `group ${groupLabel(p.region, p.name)}: instance types chosen by InstanceRequirements are not checked against the AMI's architecture`,
      );
  for (const region of [...new Set(toCheck.map((p) => p.region))]) {
    const inRegion = toCheck.filter((p) => p.region === region);
    const amiId = amiIds[region]!;
    const types = [...new Set(inRegion.flatMap((p) => launchedTypes(p).map((l) => l.type)))];
    if (!types.length) continue;
    const arch = await imageArchitecture(ctx, region, amiId);
    if (!arch) continue;
    const archs = await typeArchitectures(ctx, region, types);
    for (const p of inRegion) {
      const misfits = launchedTypes(p).filter((l) => !(archs.get(l.type) ?? [arch]).includes(arch));
      if (!misfits.length) continue;
      const which = misfits.map((m) => `${m.type} (${m.from}) runs ${(archs.get(m.type) ?? []).join('/')}`);
      problems.push({
        message:
          `group ${groupLabel(region, p.name)}: ${amiId} is ${arch}, but instance type ${which.join('; ')}; ` +
          `EC2 would refuse every launch. Roll an AMI built for the group's architecture, or change its instance types first.`,
      });
    }
  }
  return problems;
}
