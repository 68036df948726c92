// Putting records back: the launch template versions the run made (once nothing runs or names them, so `$Latest` is what it
// was), and each group's launch source exactly as it was written. Each acts only on what the
// journal says the run changed and AWS shows still holds the run's AMI.
import { UpdateAutoScalingGroupCommand, type AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import {
  DeleteLaunchTemplateVersionsCommand,
  DescribeLaunchTemplatesCommand,
  ModifyLaunchTemplateCommand,
  paginateDescribeLaunchTemplateVersions,
} from '@aws-sdk/client-ec2';
import type { ActionContext } from '../core/context.js';
import { ActionFailure } from '../core/errors.js';
import { groupTemplateSpecs } from '../aws/group-templates.js';
import { describeGroups } from '../aws/groups.js';
import type { LaunchSource } from '../roll/pin.js';
import { amiIn, changesOf, type GroupBefore, type JournalData } from './journal.js';
import { persist, shellWord, type PutBackBudget, type PutBackReport } from './persist.js';

const SKEW_MS = 60_000;

/** Versions of a template this run made: recorded, or found by what they hold and when they were made. */
async function ourVersions(
  ctx: ActionContext,
  j: JournalData,
  region: string,
  templateId: string,
): Promise<{ label: string; versions: number[] }> {
  const ours = changesOf(j, 'version').filter((c) => c.region === region && c.templateId === templateId);
  const known = new Set(ours.flatMap((c) => (c.version !== undefined ? [c.version] : [])));
  // A creation whose answer never came: its version is found by what it holds and when it was
  // made — only then, and only as many as went unanswered (another run's version is not ours).
  let unanswered = ours.filter((c) => c.version === undefined).length;
  const found: number[] = [];
  let label = templateId;
  const pages = paginateDescribeLaunchTemplateVersions(
    { client: ctx.clients.ec2(region) },
    { LaunchTemplateId: templateId },
  );
  for await (const page of pages)
    for (const v of page.LaunchTemplateVersions ?? []) {
      if (v.LaunchTemplateName) label = `${v.LaunchTemplateName} (${templateId})`;
      if (v.VersionNumber === undefined || v.LaunchTemplateData?.ImageId !== amiIn(j, region)) continue;
      const made = (v.CreateTime?.getTime() ?? 0) >= j.startedAt - SKEW_MS;
      // Only a version holding the run's AMI is ever deleted: a forged journal cannot name another.
      if (known.has(v.VersionNumber)) found.push(v.VersionNumber);
      else if (unanswered > 0 && made && v.VersionDescription?.includes('golden-ami-actions')) {
        unanswered--;
        found.push(v.VersionNumber);
      }
    }
  return { label, versions: found };
}

/** Who still uses a version: groups naming it, or instances launched from it. */
function usersOf(groups: AutoScalingGroup[], templateId: string, version: number): string[] {
  return groups.flatMap((g) => {
    const named = groupTemplateSpecs(g).some(
      (s) => s.LaunchTemplateId === templateId && s.Version === String(version),
    );
    const running = (g.Instances ?? []).filter(
      (i) =>
        i.LaunchTemplate?.LaunchTemplateId === templateId && i.LaunchTemplate.Version === String(version),
    ).length;
    return named || running
      ? [`${g.AutoScalingGroupName} (${named ? 'names it' : `${running} instance(s) run it`})`]
      : [];
  });
}

/** A template default this run moved goes back to where it was, before its version can be deleted. */
export async function restoreDefaults(
  ctx: ActionContext,
  j: JournalData,
  budget: PutBackBudget,
  report: PutBackReport,
): Promise<void> {
  for (const c of changesOf(j, 'default')) {
    if (c.previous === undefined) continue;
    const command = `aws ec2 modify-launch-template --region ${c.region} --launch-template-id ${c.templateId} --default-version ${c.previous}`;
    try {
      const out = await persist(ctx, budget, `reading ${c.templateId}`, () =>
        ctx.clients
          .ec2(c.region)
          .send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [c.templateId] })),
      );
      const now = out.LaunchTemplates?.[0]?.DefaultVersionNumber;
      if (now === c.previous || (c.version !== undefined && now !== c.version)) continue;
      await persist(ctx, budget, `moving ${c.templateId}'s default back`, () =>
        ctx.clients.ec2(c.region).send(
          new ModifyLaunchTemplateCommand({
            LaunchTemplateId: c.templateId,
            DefaultVersion: String(c.previous),
          }),
        ),
      );
      report.done(`launch template ${c.templateId} default back on version ${c.previous}`);
    } catch (err) {
      report.left(`launch template ${c.templateId}'s default may still be this run's version`, err, command);
    }
  }
}

/** Deletes each version this run made once no group names it and no instance runs it; returns those kept. */
export async function deleteVersions(
  ctx: ActionContext,
  j: JournalData,
  budget: PutBackBudget,
  report: PutBackReport,
): Promise<Set<string>> {
  const kept = new Set<string>();
  const templates = new Map(changesOf(j, 'version').map((c) => [`${c.region}|${c.templateId}`, c]));
  for (const { region, templateId } of templates.values()) {
    const command = (v: number | string) =>
      `aws ec2 delete-launch-template-versions --region ${region} --launch-template-id ${templateId} --versions ${v}`;
    try {
      const { label, versions } = await persist(ctx, budget, `listing versions of ${templateId}`, () =>
        ourVersions(ctx, j, region, templateId),
      );
      // Every group of the region (one the run did not select may have launched from it), read once.
      const groups = versions.length
        ? await persist(ctx, budget, `reading groups in ${region}`, () =>
            describeGroups(ctx.clients.autoScaling(region)),
          )
        : [];
      for (const version of versions) {
        const users = usersOf(groups, templateId, version);
        if (users.length) {
          kept.add(`${region}|${templateId}`);
          report.left(
            `launch template ${label} version ${version} (${amiIn(j, region)}) kept: ${users.join(', ')}`,
            undefined,
            command(version),
          );
          continue;
        }
        try {
          const out = await persist(ctx, budget, `deleting ${templateId} version ${version}`, () =>
            ctx.clients.ec2(region).send(
              new DeleteLaunchTemplateVersionsCommand({
                LaunchTemplateId: templateId,
                Versions: [String(version)],
              }),
            ),
          );
          const failed = out.UnsuccessfullyDeletedLaunchTemplateVersions?.[0];
          if (failed)
            throw new ActionFailure(
              `${failed.ResponseError?.Code ?? 'error'}: ${failed.ResponseError?.Message ?? 'not deleted'}`,
            );
          report.done(
            `deleted launch template ${label} version ${version} (nothing launches ${amiIn(j, region)} from $Latest)`,
          );
        } catch (err) {
          kept.add(`${region}|${templateId}`);
          report.left(
            `launch template ${label} version ${version} still holds ${amiIn(j, region)}`,
            err,
            command(version),
          );
        }
      }
    } catch (err) {
      kept.add(`${region}|${templateId}`);
      report.left(
        `versions of launch template ${templateId} this run made were not checked`,
        err,
        command('<version>'),
      );
    }
  }
  return kept;
}

/** A launch source compared by what AWS reads from it: template ids, versions and the mixed policy. */
function sourceKey(s: LaunchSource | AutoScalingGroup): string {
  return JSON.stringify(
    { LaunchTemplate: s.LaunchTemplate, MixedInstancesPolicy: s.MixedInstancesPolicy },
    (k, v: unknown) => (k === 'LaunchTemplateName' ? undefined : v),
  );
}

const floats = (s: LaunchSource) =>
  groupTemplateSpecs(s).some(
    (t) => t.Version === undefined || t.Version === '$Latest' || t.Version === '$Default',
  );

/**
 * Before versions are deleted: a group still naming a version of ours (nothing to refresh back —
 * no instances, or none on the AMI) goes onto the numbered versions it ran before, which launch
 * what it launched before, so the version is free to delete; floating comes after (restoreSource).
 */
export async function unpinFromOurs(
  ctx: ActionContext,
  g: GroupBefore,
  budget: PutBackBudget,
  report: PutBackReport,
): Promise<void> {
  if (sourceKey(g.pinned) === sourceKey(g.source)) return restoreSource(ctx, g, new Set(), budget, report);
  try {
    const [now] = await persist(ctx, budget, `reading ${g.name}`, () =>
      describeGroups(ctx.clients.autoScaling(g.region), { names: [g.name] }),
    );
    if (!now || sourceKey(now) === sourceKey(g.pinned) || sourceKey(now) === sourceKey(g.source)) return;
    await persist(ctx, budget, `putting ${g.name} back on the versions it ran`, () =>
      ctx.clients
        .autoScaling(g.region)
        .send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: g.name, ...g.pinned })),
    );
  } catch (err) {
    ctx.log.info(
      `${g.region}/${g.name}: not put back on the versions it ran (${String(err)}); restoring its source next`,
    );
  }
}

/** The group's launch source back as it was written, unless a version of ours it would float onto remains. */
export async function restoreSource(
  ctx: ActionContext,
  g: GroupBefore,
  kept: Set<string>,
  budget: PutBackBudget,
  report: PutBackReport,
): Promise<void> {
  const flag = g.source.MixedInstancesPolicy ? '--mixed-instances-policy' : '--launch-template';
  const value = JSON.stringify(g.source.MixedInstancesPolicy ?? g.source.LaunchTemplate);
  const command = `aws autoscaling update-auto-scaling-group --region ${g.region} --auto-scaling-group-name ${shellWord(g.name)} ${flag} ${shellWord(value)}`;
  try {
    const [now] = await persist(ctx, budget, `reading ${g.name}`, () =>
      describeGroups(ctx.clients.autoScaling(g.region), { names: [g.name] }),
    );
    if (!now || sourceKey(now) === sourceKey(g.source)) return;
    const blocked = groupTemplateSpecs(now).some((s) => kept.has(`${g.region}|${s.LaunchTemplateId}`));
    if (floats(g.source) && blocked) {
      report.left(
        `${g.region}/${g.name} stays pinned: its template still has a version with the AMI, which $Latest would launch`,
        undefined,
        command,
      );
      return;
    }
    await persist(ctx, budget, `putting back the launch source of ${g.name}`, () =>
      ctx.clients
        .autoScaling(g.region)
        .send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: g.name, ...g.source })),
    );
    report.done(`${g.region}/${g.name}: launch source back as it was written`);
  } catch (err) {
    report.left(`${g.region}/${g.name}: launch source not put back`, err, command);
  }
}
