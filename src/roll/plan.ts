// The read-only plan for one group: templates, image source, instances, running refreshes, problems.
import type { AutoScalingGroup, LaunchTemplateSpecification } from '@aws-sdk/client-auto-scaling';
import type { ActionContext } from '../core/context.js';
import { readAmiParameter } from './ami.js';
import { activeRefresh, describeActive, type ActiveRefresh } from './in-progress.js';
import { instanceImages, mostCommonOther } from './instances.js';
import { describeTemplateVersion, templateLabel, type TemplateVersion } from './launch-template.js';
import type { InProgressMode, RefreshPreferenceOptions } from './options.js';
import { refreshWaitWarnings } from './waits.js';
import { hasWarmPool, warmPoolInstances } from '../aws/warm-pool.js';
import { withContext } from '../core/errors.js';
import type { SelectedGroup } from './select-groups.js';
import { groupTemplateSpecs } from '../aws/group-templates.js';
import { groupLabel } from '../aws/group-label.js';

/** What roll-asg will do to one group, decided before anything changes. */
export interface GroupPlan {
  region: string;
  name: string;
  group: AutoScalingGroup;
  amiId: string;
  /** A plain launch template, or a MixedInstancesPolicy (whose override templates count too). */
  kind: 'launch-template' | 'mixed-instances';
  imageSource: 'launch-template' | 'ssm-parameter';
  /** Every distinct template version the group launches from, its main template first. */
  templates: TemplateVersion[];
  previousAmiId?: string;
  instances: { total: number; onAmi: number };
  /** Instances (warm pool included) not on the AMI: what a refresh replaces, for a reap forecast. */
  replacing: string[];
  /** The warm pool's instances (DescribeWarmPool), when the group has one: refreshes replace them too. */
  warmPool?: { total: number; onAmi: number };
  /** Things the refresh will wait on (protected, Standby instances), said before anything changes. */
  warnings: string[];
  /** Already on the AMI with skip matching: reported, not refreshed. */
  alreadyCurrent: boolean;
  /** A refresh AWS is still running for the group (if-refresh-in-progress decides). */
  active?: ActiveRefresh;
}

/** One reason the run must stop before changing anything; `input` ones are the user's settings. */
export interface PlanProblem {
  input?: string;
  message: string;
}

export interface PlanSettings {
  skipMatching: boolean;
  autoRollback: boolean;
  ifRefreshInProgress: InProgressMode;
  /** The refresh's settings for protected and Standby instances (unset: AWS's Wait). */
  scaleInProtectedInstances?: RefreshPreferenceOptions['scaleInProtectedInstances'];
  standbyInstances?: RefreshPreferenceOptions['standbyInstances'];
  /**
   * SSM selectors (`name`, `name:label`) a caller will point at the AMI before any refresh starts
   * (deploy-ami promotes first for such groups): taken as holding it instead of read.
   */
  promised?: ReadonlyMap<string, string>;
}

const at = (g: { name: string; region: string }) => `group ${groupLabel(g.region, g.name)}`;

function templateSpecs(
  group: AutoScalingGroup,
): { kind: GroupPlan['kind']; specs: LaunchTemplateSpecification[] } | undefined {
  const specs = groupTemplateSpecs(group);
  if (!specs.length) return undefined;
  return { kind: group.LaunchTemplate ? 'launch-template' : 'mixed-instances', specs };
}

const specKey = (s: LaunchTemplateSpecification) =>
  `${s.LaunchTemplateId ?? s.LaunchTemplateName}@${s.Version ?? '$Default'}`;

/** Why the group cannot be rolled at all: a launch configuration, or no template to update. */
function launchProblem(sel: SelectedGroup): PlanProblem | undefined {
  const { group, name } = sel;
  if (group.LaunchConfigurationName)
    return {
      message:
        `${at(sel)} uses launch configuration ${group.LaunchConfigurationName}; roll-asg needs a launch template. ` +
        `Migrate it first: copy the configuration to a launch template (console: Launch configurations > Copy to launch template, ` +
        `or aws ec2 create-launch-template), then aws autoscaling update-auto-scaling-group --auto-scaling-group-name ${name} ` +
        `--launch-template LaunchTemplateId=<id>,Version=<number>.`,
    };
  return undefined;
}

/** Templates that take their image from SSM must already resolve to the AMI, and cannot auto-roll back. */
async function ssmProblems(
  ctx: ActionContext,
  sel: SelectedGroup,
  ssm: TemplateVersion[],
  amiId: string,
  settings: PlanSettings,
): Promise<PlanProblem[]> {
  const problems: PlanProblem[] = [];
  for (const t of ssm) {
    const value =
      settings.promised?.get(t.ssmParameter!) ??
      (await readAmiParameter(ctx, sel.region, t.ssmParameter!, `SSM parameter`));
    if (value !== amiId)
      problems.push({
        message:
          `${at(sel)}: launch template ${templateLabel(t)} takes its image from SSM parameter ${t.ssmParameter}, which holds ${value}, not ${amiId}. ` +
          `Promote ${amiId} to that parameter first (promote-ami-parameter), or roll the AMI the parameter holds.`,
      });
  }
  if (ssm.length && settings.autoRollback)
    problems.push({
      input: 'auto-rollback',
      message:
        `auto-rollback: ${at(sel)} uses launch template ${templateLabel(ssm[0]!)}, which takes its image from SSM (resolve:ssm:${ssm[0]!.ssmParameter}); ` +
        `AWS cannot roll such a refresh back. Set auto-rollback: false to roll it (the previous AMI is recorded for a manual rollback).`,
    });
  return problems;
}

/** The group's warm-pool instance ids (none without a warm pool). */
async function warmIds(ctx: ActionContext, sel: SelectedGroup): Promise<string[]> {
  if (!hasWarmPool(sel.group)) return [];
  const warm = await warmPoolInstances(ctx.clients.autoScaling(sel.region), sel.name, {
    signal: ctx.signal,
  }).catch((err: unknown) => {
    throw withContext(`describing the warm pool of ${sel.name} in ${sel.region}`, err);
  });
  return warm.flatMap((i) => (i.InstanceId ? [i.InstanceId] : []));
}

/** The ids of the group's instances (not its warm pool's). */
export const memberIds = (sel: SelectedGroup): string[] =>
  (sel.group.Instances ?? []).flatMap((i) => (i.InstanceId ? [i.InstanceId] : []));

/**
 * The image of each id: those `known` holds (the region's instances described together, where an
 * instance gone meanwhile is absent, as it is from any DescribeInstances) and the rest described now.
 */
async function imagesOf(
  ctx: ActionContext,
  region: string,
  ids: string[],
  known?: ReadonlyMap<string, string>,
): Promise<Map<string, string>> {
  const images = new Map<string, string>();
  const rest: string[] = [];
  for (const id of ids) {
    const image = known?.get(id);
    if (image === undefined) rest.push(id);
    else images.set(id, image);
  }
  if (rest.length) for (const [id, image] of await instanceImages(ctx, region, rest)) images.set(id, image);
  return images;
}

/** What the group's instances (warm pool included) run now, and the AMI it is moving away from. */
async function instanceFacts(
  ctx: ActionContext,
  sel: SelectedGroup,
  main: TemplateVersion,
  amiId: string,
  known?: ReadonlyMap<string, string>,
) {
  const instanceIds = memberIds(sel);
  const warm = await warmIds(ctx, sel);
  const images = await imagesOf(ctx, sel.region, [...instanceIds, ...warm], known);
  const onAmi = (ids: string[]) => ids.filter((id) => images.get(id) === amiId).length;
  const previousAmiId =
    main.imageId !== undefined && main.imageId !== amiId
      ? main.imageId
      : mostCommonOther(images.values(), amiId);
  return {
    instances: { total: instanceIds.length, onAmi: onAmi(instanceIds) },
    replacing: [...instanceIds, ...warm].filter((id) => images.get(id) !== amiId),
    ...(hasWarmPool(sel.group) ? { warmPool: { total: warm.length, onAmi: onAmi(warm) } } : {}),
    images,
    previousAmiId,
  };
}

/**
 * Looks at one group without changing it: its templates (with $Latest/$Default resolved), where
 * its image comes from, what its instances run, and whether a refresh is running. Returns the
 * plan, or the problems that forbid rolling it.
 */
export async function planGroup(
  ctx: ActionContext,
  sel: SelectedGroup,
  amiId: string,
  settings: PlanSettings,
  /** The images of the region's instances, described together for every group planned (roll.ts). */
  known?: ReadonlyMap<string, string>,
): Promise<{ plan?: GroupPlan; problems: PlanProblem[] }> {
  const { group, region, name } = sel;
  const launch = launchProblem(sel);
  if (launch) return { problems: [launch] };
  const found = templateSpecs(group);
  if (!found)
    return {
      problems: [
        { message: `${at(sel)} has neither a launch template nor a mixed instances policy to update.` },
      ],
    };

  const unique = [...new Map(found.specs.map((s) => [specKey(s), s])).values()];
  const templates: TemplateVersion[] = [];
  for (const spec of unique) templates.push(await describeTemplateVersion(ctx, region, spec));
  const ssm = templates.filter((t) => t.ssmParameter !== undefined);
  const problems = await ssmProblems(ctx, sel, ssm, amiId, settings);
  if (problems.length) return { problems };

  const { instances, warmPool, images, previousAmiId, replacing } = await instanceFacts(
    ctx,
    sel,
    templates[0]!,
    amiId,
    known,
  );
  const allOnAmi = instances.onAmi === instances.total && (!warmPool || warmPool.onAmi === warmPool.total);
  const templatesOnAmi = templates.every((t) => t.ssmParameter !== undefined || t.imageId === amiId);
  const active = await activeRefresh(ctx, region, name);
  if (active && settings.ifRefreshInProgress === 'fail')
    return {
      // A conflict with a refresh running now, not a mistake in the inputs.
      problems: [
        {
          message: `${at(sel)} already has ${describeActive(active)}; set if-refresh-in-progress to wait or cancel, or try again when it has finished.`,
        },
      ],
    };
  return {
    problems: [],
    plan: {
      region,
      name,
      group,
      amiId,
      kind: found.kind,
      imageSource: ssm.length ? 'ssm-parameter' : 'launch-template',
      templates,
      ...(previousAmiId ? { previousAmiId } : {}),
      instances,
      replacing,
      ...(warmPool ? { warmPool } : {}),
      warnings: refreshWaitWarnings(at(sel), group, images, amiId, settings),
      alreadyCurrent: settings.skipMatching && !active && templatesOnAmi && allOnAmi,
      ...(active ? { active } : {}),
    },
  };
}
