import type { World } from '../state.js';
import { imageLifecycleHandlers } from './ec2-image-lifecycle.js';
import { imageHandlers, tickImages } from './ec2-images.js';
import { instanceHandlers } from './ec2-instance-handlers.js';
import { instanceTypeHandlers } from './ec2-instance-types.js';
import { tickInstances } from './ec2-instances.js';
import { launchTemplateHandlers } from './ec2-launch-templates.js';
import { networkHandlers } from './ec2-network.js';
import { spotHandlers } from './ec2-spot.js';
import { fastLaunchHandlers } from './ec2-fast-launch.js';
import { tagHandlers } from './ec2-tags.js';
import { AwsError, type AwsHandler, type AwsService } from './service.js';

/** EC2 (protocol `ec2`): instances, images/snapshots, launch templates, tags, and Packer's lookups. */

const handlers: Record<string, AwsHandler> = {
  ...instanceHandlers,
  ...instanceTypeHandlers,
  ...imageHandlers,
  ...imageLifecycleHandlers,
  ...launchTemplateHandlers,
  ...networkHandlers,
  ...tagHandlers,
  ...spotHandlers,
  ...fastLaunchHandlers,
};

/** DryRun answers as EC2 does: the request would have succeeded (checked here only for presence). */
function withDryRun(handler: AwsHandler): AwsHandler {
  return (req, ctx) => {
    if (req.params.DryRun === true) {
      throw new AwsError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
    }
    return handler(req, ctx);
  };
}

export const ec2Service: AwsService = {
  signingName: 'ec2',
  protocol: 'ec2',
  model: 'ec2',
  handlers: Object.fromEntries(Object.entries(handlers).map(([op, h]) => [op, withDryRun(h)])),
  tick(world: World, now: number) {
    for (const region of world.regions()) {
      tickInstances(region, now);
      tickImages(region, now);
    }
  },
};
