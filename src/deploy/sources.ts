// Once the fleet is proven: each group that followed `$Latest` or `$Default` goes back to it, so
// Terraform and CloudFormation read the launch source they wrote (no drift, no refresh on the next
// apply). `$Latest` already resolves to the proven version; `$Default` does once the template's
// default moves to it (set-default-version), which is journaled so a later failure moves it back.
import {
  UpdateAutoScalingGroupCommand,
  type LaunchTemplateSpecification,
} from '@aws-sdk/client-auto-scaling';
import { DescribeLaunchTemplatesCommand, DescribeLaunchTemplateVersionsCommand } from '@aws-sdk/client-ec2';
import type { ActionContext } from '../core/context.js';
import { setDefaultVersion } from '../roll/launch-template.js';
import type { LaunchSource } from '../roll/pin.js';
import { describeGroups } from '../aws/groups.js';
import { groupTemplateSpecs, mapLaunchSource } from '../aws/group-templates.js';
import type { GroupBefore, Journal } from './journal.js';

const floating = (v: string | undefined) => v === undefined || v === '$Latest' || v === '$Default';

/** The floating specs of a launch source, each with the template version the group now names. */
function floatingSpecs(before: GroupBefore, now: LaunchTemplateSpecification[]) {
  const specs = groupTemplateSpecs(before.source).filter((s) => s.LaunchTemplateId && floating(s.Version));
  return specs.map((s) => ({
    templateId: s.LaunchTemplateId!,
    follows: s.Version ?? '$Default',
    names: now.find((n) => n.LaunchTemplateId === s.LaunchTemplateId)?.Version,
  }));
}

/**
 * The source to write once proven: the floating specs as the group had them, every other spec on
 * the version the group names now — a mixed-instances override pinned to a number was moved to
 * the new version by the roll and stays there (the written source would launch the old AMI).
 */
function settled(before: LaunchSource, now: LaunchSource): LaunchSource {
  const current = groupTemplateSpecs(now);
  return mapLaunchSource(before, (spec) => {
    if (floating(spec.Version)) return spec;
    const moved = current.find((c) => c.LaunchTemplateId === spec.LaunchTemplateId)?.Version;
    return moved ? { ...spec, Version: moved } : spec;
  });
}

async function resolves(ctx: ActionContext, region: string, templateId: string, which: string) {
  const out = await ctx.clients
    .ec2(region)
    .send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: templateId, Versions: [which] }));
  return out.LaunchTemplateVersions?.[0]?.VersionNumber;
}

async function currentDefault(ctx: ActionContext, region: string, templateId: string) {
  const out = await ctx.clients
    .ec2(region)
    .send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [templateId] }));
  return out.LaunchTemplates?.[0]?.DefaultVersionNumber;
}

/**
 * Puts each proven group that followed `$Latest`/`$Default` back on it. A `$Default` group needs
 * the template's default moved (set-default-version); without it, or when `$Latest` is already
 * someone else's newer version, the group stays on its number and a warning says why.
 */
export async function settleSources(
  ctx: ActionContext,
  journal: Journal,
  o: { setDefaultVersion: boolean },
): Promise<string[]> {
  const done: string[] = [];
  for (const g of journal.data?.groups ?? []) {
    const [group] = await describeGroups(ctx.clients.autoScaling(g.region), { names: [g.name] });
    const specs = floatingSpecs(g, group ? groupTemplateSpecs(group) : []);
    if (!group || !specs.length) continue;
    const blocked: string[] = [];
    for (const s of specs) {
      const version = Number(s.names);
      if (!Number.isInteger(version)) continue;
      if (s.follows === '$Latest' && (await resolves(ctx, g.region, s.templateId, '$Latest')) !== version)
        blocked.push(`${s.templateId} has a version after ${version}, which $Latest would launch`);
      if (s.follows === '$Default' && (await resolves(ctx, g.region, s.templateId, '$Default')) !== version) {
        if (!o.setDefaultVersion) {
          blocked.push(`set-default-version is off, so ${s.templateId}'s default stays where it was`);
          continue;
        }
        const previous = await currentDefault(ctx, g.region, s.templateId);
        const change = journal.intend({
          kind: 'default',
          region: g.region,
          templateId: s.templateId,
          at: Date.now(),
          ...(previous !== undefined ? { previous } : {}),
        });
        await setDefaultVersion(ctx, g.region, s.templateId, version);
        journal.complete(change, { version });
        done.push(`${s.templateId} default → version ${version}`);
      }
    }
    if (blocked.length) {
      ctx.log.warning(`${g.region}/${g.name} stays on numbered versions: ${blocked.join('; ')}`);
      continue;
    }
    await ctx.clients
      .autoScaling(g.region)
      .send(
        new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: g.name, ...settled(g.source, group) }),
        { abortSignal: ctx.signal },
      );
    done.push(`${g.region}/${g.name} follows ${specs.map((s) => s.follows).join(', ')} again`);
  }
  for (const line of done) ctx.log.info(line);
  return done;
}
