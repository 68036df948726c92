// The native engine: launch a builder, provision it until it shuts down, image it.
import type { ActionContext } from '../../core/context.js';
import { launchBuilder } from './builder.js';
import { createImage, waitForImage } from '../image/create-copy.js';
import { checkNetwork } from './network.js';
import type { Phases } from '../phases.js';
import { provision } from './provision.js';
import type { Provisioning } from '../lookup/provisioning.js';
import type { Schedule } from '../schedule.js';
import type { Platform, SourceImage } from '../lookup/source.js';
import type { CreatedImage } from '../state.js';
import type { BakeRunOptions, BuilderSettings, ImageSpec } from '../types.js';

export type NativeOptions = BuilderSettings &
  Pick<BakeRunOptions, 'region' | 'name' | 'bakeId' | 'tags' | 'failureMarker'>;

export interface NativeBake {
  source: SourceImage;
  platform: Platform;
  provisioning: Provisioning;
  spec: ImageSpec;
  expiresAt: number;
  deadline: number;
  schedule: Schedule;
  /** Told the builder's id the moment it exists, and each image as it is created. */
  onBuilder: (instanceId: string) => void;
  onImage: (image: CreatedImage) => void;
}

/** Bakes the AMI in the bake region; returns its id. The builder is left to the caller to remove. */
export async function bakeNative(
  ctx: ActionContext,
  phases: Phases,
  o: NativeOptions,
  b: NativeBake,
): Promise<string> {
  let launchedAt = 0;
  const instanceId = await phases.run('launch', 'Launch the builder', async () => {
    await checkNetwork(ctx, o);
    const userData = b.provisioning.kind === 'user-data' ? b.provisioning.userData : undefined;
    const id = await launchBuilder(
      ctx,
      { ...o, bakeName: o.name, source: b.source, userData, expiresAt: b.expiresAt },
      b.onBuilder,
    );
    launchedAt = ctx.clock.now();
    return id;
  });
  await phases.run('provision', `Provision the builder (${b.provisioning.kind})`, () =>
    provision(ctx, {
      instanceId,
      launchedAt,
      provisioning: b.provisioning,
      platform: b.platform,
      bakeId: o.bakeId,
      failureMarker: o.failureMarker,
      deadline: b.deadline,
      schedule: b.schedule,
    }),
  );
  return phases.run('image', 'Create the image', async () => {
    const imageId = await createImage(ctx, { ...b.spec, instanceId }, b.onImage);
    await waitForImage(ctx, {
      region: o.region,
      imageId,
      schedule: b.schedule,
      expectedMs: b.schedule.expect.image,
      probeMs: b.schedule.expect.imageProbe,
      remainingMs: phases.remainingMs('image'),
      phase: 'image',
    });
    return imageId;
  });
}
