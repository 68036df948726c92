// Before an AMI is deregistered, Windows fast launch is turned off, so EC2 cleans up the
// pre-provisioned snapshots it made for it ("Discontinue Windows fast launch for a Windows AMI, and
// clean up existing pre-provisioned snapshots", DisableFastLaunch).
import {
  DescribeFastLaunchImagesCommand,
  DisableFastLaunchCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { withContext } from '../core/errors.js';
import type { ActionContext } from '../core/context.js';

const OFF = new Set(['disabling', 'disabling-failed', 'disabled']);

/** Turns fast launch off when it is on; true when it was. */
export async function disableFastLaunch(
  ctx: ActionContext,
  ec2: EC2Client,
  o: { imageId: string; region: string },
): Promise<boolean> {
  const out = await ec2
    .send(new DescribeFastLaunchImagesCommand({ ImageIds: [o.imageId] }), { abortSignal: ctx.signal })
    .catch((err: unknown) => {
      throw withContext(`DescribeFastLaunchImages ${o.imageId} in ${o.region}`, err);
    });
  const state = out.FastLaunchImages?.[0]?.State;
  if (!state || OFF.has(state)) return false;
  await ec2.send(new DisableFastLaunchCommand({ ImageId: o.imageId })).catch((err: unknown) => {
    throw withContext(`DisableFastLaunch ${o.imageId} in ${o.region}`, err);
  });
  ctx.log.info(`Fast launch of ${o.imageId} in ${o.region} disabled (was ${state}) before deregistering.`);
  return true;
}
