// Launch template versions: describe the one a group uses, create one with a new AMI, delete one.
import { randomUUID } from 'node:crypto';
import type { LaunchTemplateSpecification } from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateVersionCommand,
  DeleteLaunchTemplateVersionsCommand,
  DescribeLaunchTemplateVersionsCommand,
  ModifyLaunchTemplateCommand,
} from '@aws-sdk/client-ec2';
import { ActionFailure, withContext } from '../core/errors.js';
import type { ActionContext } from '../core/context.js';

/** A launch template version as the group uses it, with $Latest/$Default resolved to a number. */
export interface TemplateVersion {
  id: string;
  name?: string;
  /** What the group names: "3", "$Latest" or "$Default". */
  requested: string;
  version: number;
  /** A literal ImageId, when the template has one. */
  imageId?: string;
  /** The SSM parameter selector of `resolve:ssm:<selector>`, when the template takes its image from SSM. */
  ssmParameter?: string;
  /** The template's InstanceType, when it names one (the architecture check reads it). */
  instanceType?: string;
}

const SSM_PREFIX = 'resolve:ssm:';

export const templateLabel = (t: { id: string; name?: string }): string =>
  t.name ? `${t.name} (${t.id})` : t.id;

/** Describes the version a group's template specification points at (without resolving SSM aliases). */
export async function describeTemplateVersion(
  ctx: ActionContext,
  region: string,
  spec: LaunchTemplateSpecification,
): Promise<TemplateVersion> {
  const requested = spec.Version ?? '$Default';
  const which = spec.LaunchTemplateId ?? spec.LaunchTemplateName ?? '(unnamed)';
  const out = await ctx.clients
    .ec2(region)
    .send(
      new DescribeLaunchTemplateVersionsCommand({
        ...(spec.LaunchTemplateId
          ? { LaunchTemplateId: spec.LaunchTemplateId }
          : { LaunchTemplateName: spec.LaunchTemplateName }),
        Versions: [requested],
      }),
      { abortSignal: ctx.signal },
    )
    .catch((err: unknown) => {
      throw withContext(`describing launch template ${which} version ${requested} in ${region}`, err);
    });
  const v = out.LaunchTemplateVersions?.[0];
  if (!v?.LaunchTemplateId || v.VersionNumber === undefined)
    throw new ActionFailure(`Launch template ${which} has no version ${requested} in ${region}.`);
  const image = v.LaunchTemplateData?.ImageId;
  return {
    id: v.LaunchTemplateId,
    ...(v.LaunchTemplateName ? { name: v.LaunchTemplateName } : {}),
    requested,
    version: v.VersionNumber,
    ...(v.LaunchTemplateData?.InstanceType ? { instanceType: v.LaunchTemplateData.InstanceType } : {}),
    ...(image?.startsWith(SSM_PREFIX)
      ? { ssmParameter: image.slice(SSM_PREFIX.length) }
      : image
        ? { imageId: image }
        : {}),
  };
}

/**
 * A new numbered version copied from `from` with only the ImageId changed. The client token
 * makes the SDK's retries of this one request idempotent (a retried create never makes two).
 */
export async function createImageVersion(
  ctx: ActionContext,
  region: string,
  from: TemplateVersion,
  amiId: string,
): Promise<number> {
  const out = await ctx.clients
    .ec2(region)
    .send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: from.id,
        SourceVersion: String(from.version),
        VersionDescription: `${amiId} (from version ${from.version}, by golden-ami-actions roll-asg)`,
        LaunchTemplateData: { ImageId: amiId },
        ClientToken: randomUUID(),
      }),
      { abortSignal: ctx.signal },
    )
    .catch((err: unknown) => {
      throw withContext(
        `creating a version of launch template ${templateLabel(from)} with ${amiId} in ${region}`,
        err,
      );
    });
  const n = out.LaunchTemplateVersion?.VersionNumber;
  if (n === undefined)
    throw new ActionFailure(
      `Creating a version of launch template ${templateLabel(from)} in ${region} returned no version number.`,
    );
  return n;
}

export async function deleteVersion(
  ctx: ActionContext,
  region: string,
  templateId: string,
  version: number,
): Promise<void> {
  const out = await ctx.clients
    .ec2(region)
    .send(
      new DeleteLaunchTemplateVersionsCommand({ LaunchTemplateId: templateId, Versions: [String(version)] }),
    );
  const failed = out.UnsuccessfullyDeletedLaunchTemplateVersions?.[0];
  if (failed)
    throw new ActionFailure(
      `${failed.ResponseError?.Code ?? 'error'}: ${failed.ResponseError?.Message ?? 'not deleted'}`,
    );
}

export async function setDefaultVersion(
  ctx: ActionContext,
  region: string,
  templateId: string,
  version: number,
): Promise<void> {
  await ctx.clients
    .ec2(region)
    .send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: templateId, DefaultVersion: String(version) }));
}
