// What holds an AMI in use: EC2's DescribeImageReferences, plus the checks it does not cover
// (Auto Scaling groups' templates and mixed-instances overrides, launch configurations, SSM labels
// and older versions).
import {
  paginateDescribeLaunchConfigurations,
  type LaunchTemplateSpecification,
} from '@aws-sdk/client-auto-scaling';
import { DescribeLaunchTemplateVersionsCommand, paginateDescribeImageReferences } from '@aws-sdk/client-ec2';
import { GetParameterCommand, paginateGetParameterHistory } from '@aws-sdk/client-ssm';
import { hasCode } from '../aws/errors.js';
import { withContext } from '../core/errors.js';
import type { ActionContext } from '../core/context.js';
import { mapBounded } from '../core/bounded.js';
import { groupTemplateSpecs } from '../aws/group-templates.js';
import { describeGroups } from '../aws/groups.js';
import { paginatorArgs } from '../aws/paging.js';

/** AMI id -> what references it (human-readable, for the summary). */
export type References = Map<string, string[]>;

const add = (refs: References, imageId: string | undefined, what: string) => {
  if (!imageId) return;
  const list = refs.get(imageId) ?? [];
  if (!list.includes(what)) list.push(what);
  refs.set(imageId, list);
};

// ImageId.N: "Array Members: Minimum number of 1 item. Maximum number of 10 items."
// (DescribeImageReferences API reference)
export const REFERENCE_BATCH = 10;
const CONCURRENCY = 4;
// state-name: "Default: All states" — terminated instances do not hold an AMI.
const LIVE_STATES = ['pending', 'running', 'shutting-down', 'stopping', 'stopped'];

function shortArn(arn: string): string {
  const m = /:(instance|launch-template)\/(.+)$/.exec(arn);
  if (m) return `${m[1] === 'instance' ? 'instance' : 'launch template'} ${m[2]}`;
  const p = /:parameter(\/.+)$/.exec(arn);
  return p ? `parameter ${p[1]}` : arn;
}

/**
 * DescribeImageReferences in batches of 10: instances in any state but terminated, the newest
 * `versionDepth` versions of every launch template, and SSM parameters.
 */
export async function ec2References(
  ctx: ActionContext,
  region: string,
  imageIds: string[],
  versionDepth: number,
): Promise<References> {
  const refs: References = new Map();
  const batches: string[][] = [];
  for (let i = 0; i < imageIds.length; i += REFERENCE_BATCH)
    batches.push(imageIds.slice(i, i + REFERENCE_BATCH));
  const settled = await mapBounded(
    batches,
    { limit: CONCURRENCY, stopOnError: true, signal: ctx.signal },
    async (ids) => {
      const pages = paginateDescribeImageReferences(
        { client: ctx.clients.ec2(region), pageSize: 1000 },
        {
          ImageIds: ids,
          ResourceTypes: [
            {
              ResourceType: 'ec2:Instance',
              ResourceTypeOptions: [{ OptionName: 'state-name', OptionValues: LIVE_STATES }],
            },
            {
              ResourceType: 'ec2:LaunchTemplate',
              ResourceTypeOptions: [{ OptionName: 'version-depth', OptionValues: [String(versionDepth)] }],
            },
            { ResourceType: 'ssm:Parameter' },
          ],
        },
      );
      for await (const page of pages) {
        for (const r of page.ImageReferences ?? [])
          add(refs, r.ImageId, shortArn(r.Arn ?? r.ResourceType ?? '?'));
      }
    },
  );
  const failed = settled.find((s) => !s.ok && 'error' in s);
  if (failed && 'error' in failed) throw withContext(`DescribeImageReferences in ${region}`, failed.error);
  return refs;
}

/** Every template version a group launches from (main and overrides, $Latest/$Default resolved). */
export async function groupReferences(ctx: ActionContext, region: string): Promise<References> {
  const refs: References = new Map();
  const uses = new Map<string, { spec: LaunchTemplateSpecification; groups: string[] }>();
  try {
    for (const g of await describeGroups(ctx.clients.autoScaling(region), {}, { signal: ctx.signal })) {
      for (const spec of groupTemplateSpecs(g)) {
        const key = `${spec.LaunchTemplateId ?? spec.LaunchTemplateName}@${spec.Version ?? '$Default'}`;
        const use = uses.get(key) ?? { spec, groups: [] };
        use.groups.push(g.AutoScalingGroupName ?? '?');
        uses.set(key, use);
      }
    }
  } catch (err) {
    throw withContext(`DescribeAutoScalingGroups in ${region}`, err);
  }
  for (const [key, { spec, groups }] of uses) {
    let imageId: string | undefined;
    try {
      const out = await ctx.clients.ec2(region).send(
        new DescribeLaunchTemplateVersionsCommand({
          ...(spec.LaunchTemplateId
            ? { LaunchTemplateId: spec.LaunchTemplateId }
            : { LaunchTemplateName: spec.LaunchTemplateName }),
          Versions: [spec.Version ?? '$Default'],
        }),
      );
      imageId = out.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.ImageId;
      // A template may take its image from a parameter: resolve it as the launch would.
      if (imageId?.startsWith('resolve:ssm:')) {
        const param = await ctx.clients
          .ssm(region)
          .send(new GetParameterCommand({ Name: imageId.slice(12) }));
        imageId = param.Parameter?.Value;
      }
    } catch (err) {
      throw withContext(`reading launch template ${key} of group ${groups.join(', ')} in ${region}`, err);
    }
    for (const g of groups) add(refs, imageId, `group ${g} (template ${key})`);
  }
  return refs;
}

/**
 * The image of every launch configuration, naming the groups on it: DescribeImageReferences does
 * not see launch configurations, and "A disabled AMI can't be used for instance launches" — a
 * group on one would stop scaling out. Unattached ones count too: a group can be pointed at them.
 */
export async function launchConfigurationReferences(ctx: ActionContext, region: string): Promise<References> {
  const refs: References = new Map();
  const client = ctx.clients.autoScaling(region);
  try {
    const users = new Map<string, string[]>();
    for (const g of await describeGroups(client, {}, { signal: ctx.signal }))
      if (g.LaunchConfigurationName)
        users.set(g.LaunchConfigurationName, [
          ...(users.get(g.LaunchConfigurationName) ?? []),
          g.AutoScalingGroupName ?? '?',
        ]);
    const [config, options] = paginatorArgs(client, { signal: ctx.signal }, 50);
    for await (const page of paginateDescribeLaunchConfigurations(config, {}, options))
      for (const lc of page.LaunchConfigurations ?? []) {
        const groups = users.get(lc.LaunchConfigurationName ?? '') ?? [];
        const on = groups.length ? ` (group ${groups.join(', ')})` : '';
        add(refs, lc.ImageId, `launch configuration ${lc.LaunchConfigurationName ?? '?'}${on}`);
      }
  } catch (err) {
    throw withContext(`DescribeLaunchConfigurations in ${region}`, err);
  }
  return refs;
}

/** Labelled versions and the newest `keep` versions of each parameter; labelled AMIs also returned alone. */
export async function parameterReferences(
  ctx: ActionContext,
  region: string,
  names: string[],
  keep: number,
): Promise<{ refs: References; labelled: Set<string> }> {
  const refs: References = new Map();
  const labelled = new Set<string>();
  for (const name of names) {
    const versions: { Version?: number; Value?: string; Labels?: string[] }[] = [];
    try {
      for await (const page of paginateGetParameterHistory(
        { client: ctx.clients.ssm(region), pageSize: 50 },
        { Name: name },
      ))
        versions.push(...(page.Parameters ?? []));
    } catch (err) {
      // A parameter kept in fewer regions than the AMIs is normal: nothing there holds an AMI.
      if (hasCode(err, 'ParameterNotFound')) continue;
      throw withContext(`GetParameterHistory ${name} in ${region}`, err);
    }
    versions.sort((a, b) => (b.Version ?? 0) - (a.Version ?? 0));
    versions.forEach((v, index) => {
      if (v.Labels?.length) {
        add(refs, v.Value, `parameter ${name} v${v.Version} (label ${v.Labels.join(', ')})`);
        if (v.Value) labelled.add(v.Value);
      } else if (index < keep) add(refs, v.Value, `parameter ${name} v${v.Version} (newest ${keep})`);
    });
  }
  return { refs, labelled };
}

export function mergeReferences(...all: References[]): References {
  const out: References = new Map();
  for (const refs of all) for (const [id, list] of refs) for (const what of list) add(out, id, what);
  return out;
}
