// The Packer engine: run the user's template, tag the AMIs it built as ours, prove the build from its builder's console.
import { CreateTagsCommand } from '@aws-sdk/client-ec2';
import { toTagList } from '../../aws/tags.js';
import { withContext } from '../../core/errors.js';
import type { ActionContext } from '../../core/context.js';
import { forEachImage } from '../image/create-copy.js';
import { runPacker } from './build.js';
import { disownFingerprint, readBuilt, type Built } from './built.js';
import { packerInit } from './init.js';
import { packerVariables } from './vars.js';
import { provePackerBuild } from './proof.js';
import { PackerTracker } from './resources.js';
import type { Phases } from '../phases.js';
import type { Provisioning } from '../lookup/provisioning.js';
import type { Schedule } from '../schedule.js';
import type { CreatedImage, PackerResources } from '../state.js';
import type { BakeRunOptions, ImageSpec } from '../types.js';

export type PackerEngineOptions = Pick<
  BakeRunOptions,
  | 'region'
  | 'bakeId'
  | 'name'
  | 'packerTemplate'
  | 'packerVars'
  | 'failureMarker'
  | 'workingDirectory'
  | 'processRunner'
  | 'tags'
>;

export interface PackerBake {
  packerPath: string;
  sourceAmiId: string;
  provisioning: Provisioning;
  spec: ImageSpec;
  deadline: number;
  schedule: Schedule;
  onImage: (image: CreatedImage) => void;
  /** Clock ms after which a later bake's janitor may remove what this one leaves. */
  expiresAt: number;
  /** What Packer really built (its AMI's name, its builder's image), once read back. */
  onBuilt: (built: Built) => void;
  /** Saves Packer's process and temporary resources each time they change. */
  onPacker: (r: PackerResources) => void;
}

/** Bakes with `packer build`; returns region → AMI id of what it built. */
export async function bakeWithPacker(
  ctx: ActionContext,
  phases: Phases,
  o: PackerEngineOptions,
  b: PackerBake,
): Promise<Record<string, string>> {
  const template = b.provisioning.kind === 'packer' ? b.provisioning.template : undefined;
  // The builder Packer's output announced: the proof's instance when run_tags do not name it.
  let announced: string | undefined;
  const amis = await phases.run('packer', `packer build ${o.packerTemplate ?? ''}`, async () => {
    const common = { packerPath: b.packerPath, workingDirectory: o.workingDirectory, deadline: b.deadline };
    if (template?.requiredPlugins)
      await packerInit(ctx, { ...common, templatePath: template.path, runner: o.processRunner });
    const built = await runPacker(ctx, {
      ...common,
      templatePath: template?.path ?? '',
      vars: packerVariables(
        template ?? { format: 'json' },
        {
          sourceAmiId: b.sourceAmiId,
          amiName: b.spec.name,
          region: o.region,
          bakeId: o.bakeId,
          bakeName: o.name,
          expiresAt: b.expiresAt,
          tags: o.tags,
        },
        o.packerVars,
      ),
      region: o.region,
      runner: o.processRunner,
      tracker: new PackerTracker(ctx, {
        region: o.region,
        bakeId: o.bakeId,
        expiresAt: b.expiresAt,
        save: (r) => {
          announced = r.instances[0];
          b.onPacker(r);
        },
        onImage: b.onImage,
      }),
    });
    for (const [region, imageId] of Object.entries(built)) b.onImage({ region, imageId });
    return built;
  });
  await phases.run('tag', 'Tag the AMIs Packer built', async () => {
    await tagPackerImages(ctx, amis, b.spec.tags);
    const built = await readBuilt(ctx, amis[o.region] ?? '', announced);
    if (built.sourceAmiId && built.sourceAmiId !== b.sourceAmiId)
      await disownFingerprint(ctx, amis, { resolved: b.sourceAmiId, built: built.sourceAmiId });
    b.onBuilt(built);
  });
  if (template)
    await phases.run('proof', "Prove the build from the Packer builder's console", () =>
      provePackerBuild(ctx, {
        bakeId: o.bakeId,
        announced,
        failureMarker: o.failureMarker,
        template,
        deadline: b.deadline,
        schedule: b.schedule,
      }),
    );
  return amis;
}

/** Packer tags only what its template says: add our tags to every AMI and its snapshots. */
async function tagPackerImages(
  ctx: ActionContext,
  amis: Record<string, string>,
  tags: Record<string, string>,
): Promise<void> {
  await forEachImage(ctx, amis, async ({ region, imageId, ec2, resources }) => {
    const snapshots = resources.slice(1);
    await ec2
      .send(new CreateTagsCommand({ Resources: resources, Tags: toTagList(tags) }))
      .catch((err: unknown) => {
        throw withContext(`tagging ${imageId} in ${region}`, err);
      });
    ctx.log.info(`Tagged ${imageId} in ${region}${snapshots.length ? ` and ${snapshots.join(', ')}` : ''}.`);
  });
}
