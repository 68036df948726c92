import type { World } from '../state.js';
import { imageLifecycleHandlers, imageLifecycleIam } from './ec2-image-lifecycle.js';
import { imageHandlers, imageIam, tickImages } from './ec2-images.js';
import { instanceHandlers, instanceIam } from './ec2-instance-handlers.js';
import { instanceTypeHandlers, instanceTypeIam } from './ec2-instance-types.js';
import { tickInstances } from './ec2-instances.js';
import { launchTemplateHandlers, launchTemplateIam } from './ec2-launch-templates.js';
import { networkHandlers, networkIam } from './ec2-network.js';
import { spotHandlers, spotIam } from './ec2-spot.js';
import { fastLaunchHandlers, fastLaunchIam } from './ec2-fast-launch.js';
import { tagHandlers, tagIam } from './ec2-tags.js';
import { AwsError, operations, type AwsHandler, type AwsService } from './service.js';

/** EC2 (protocol `ec2`): instances, images/snapshots, launch templates, tags, and Packer's lookups. */

const served = operations(
  { handlers: instanceHandlers, iam: instanceIam },
  { handlers: instanceTypeHandlers, iam: instanceTypeIam },
  { handlers: imageHandlers, iam: imageIam },
  { handlers: imageLifecycleHandlers, iam: imageLifecycleIam },
  { handlers: launchTemplateHandlers, iam: launchTemplateIam },
  { handlers: networkHandlers, iam: networkIam },
  { handlers: tagHandlers, iam: tagIam },
  { handlers: spotHandlers, iam: spotIam },
  { handlers: fastLaunchHandlers, iam: fastLaunchIam },
);

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
  handlers: Object.fromEntries(Object.entries(served.handlers).map(([op, h]) => [op, withDryRun(h)])),
  iam: served.iam,
  tick(world: World, now: number) {
    for (const region of world.regions()) {
      tickInstances(region, now);
      tickImages(region, now);
    }
  },
};
