// Launch configurations: the legacy launch source. Created, described and deleted as AWS does; a
// group on one launches its image and type (autoscaling-fleet.ts), and refreshes cannot move to one.
import type { AsgRegion } from './autoscaling-state.js';
import type { LaunchConfiguration, ResolvedLaunch } from './autoscaling-types.js';
import { AwsError } from './service.js';

export type { LaunchConfiguration } from './autoscaling-types.js';

export interface LaunchConfigurationInput {
  LaunchConfigurationName?: string;
  ImageId?: string;
  InstanceType?: string;
  InstanceId?: string;
  [key: string]: unknown;
}

function invalid(message: string): AwsError {
  return new AwsError('ValidationError', message);
}

const notFound = (name: string) =>
  invalid(`Launch configuration name not found - Launch configuration ${name} not found`);

export function createLaunchConfiguration(
  region: AsgRegion,
  p: LaunchConfigurationInput,
): LaunchConfiguration {
  const name = p.LaunchConfigurationName;
  if (!name) throw invalid('LaunchConfigurationName is required.');
  if (region.launchConfigurations.has(name)) {
    throw new AwsError(
      'AlreadyExists',
      `Launch Configuration by this name already exists - A launch configuration already exists with the name ${name}`,
    );
  }
  if (p.InstanceId !== undefined)
    throw invalid('localcloud does not create launch configurations from an instance.');
  if (!p.ImageId) throw invalid('ImageId is required.');
  if (!p.InstanceType) throw invalid('InstanceType is required.');
  const problem = region.platform.imageProblem?.(p.ImageId);
  if (problem) throw invalid(problem);
  const { LaunchConfigurationName: _n, ImageId: _i, InstanceType: _t, ...extra } = p;
  const lc: LaunchConfiguration = {
    name,
    arn: `arn:aws:autoscaling:${region.region}:${region.accountId}:launchConfiguration:${region.nextId()}:launchConfigurationName/${name}`,
    imageId: p.ImageId,
    instanceType: p.InstanceType,
    createdAt: region.platform.now(),
    extra: structuredClone(extra),
  };
  region.launchConfigurations.set(name, lc);
  return lc;
}

export function requireLaunchConfiguration(region: AsgRegion, name: string): LaunchConfiguration {
  const lc = region.launchConfigurations.get(name);
  if (!lc) throw notFound(name);
  return lc;
}

/** "You can't delete a launch configuration that is attached to an Auto Scaling group." */
export function deleteLaunchConfiguration(region: AsgRegion, name: unknown): void {
  const lc = requireLaunchConfiguration(region, typeof name === 'string' ? name : '');
  const user = [...region.groups.values()].find((g) => g.config.LaunchConfigurationName === lc.name);
  if (user) {
    throw new AwsError(
      'ResourceInUse',
      `Cannot delete launch configuration ${lc.name} because it is attached to AutoScalingGroup ${user.name}`,
    );
  }
  region.launchConfigurations.delete(lc.name);
}

export function resolveLaunchConfiguration(region: AsgRegion, name: string): ResolvedLaunch {
  const lc = requireLaunchConfiguration(region, name);
  return {
    templateId: '',
    templateName: '',
    version: 0,
    launchConfigurationName: lc.name,
    imageId: lc.imageId,
    imageFromSsm: false,
    instanceType: lc.instanceType,
  };
}

export function launchConfigurationView(lc: LaunchConfiguration): Record<string, unknown> {
  return {
    ...structuredClone(lc.extra),
    LaunchConfigurationName: lc.name,
    LaunchConfigurationARN: lc.arn,
    ImageId: lc.imageId,
    InstanceType: lc.instanceType,
    CreatedTime: new Date(lc.createdAt),
    KernelId: '',
    RamdiskId: '',
    SecurityGroups: (lc.extra.SecurityGroups as string[] | undefined) ?? [],
    BlockDeviceMappings: (lc.extra.BlockDeviceMappings as unknown[] | undefined) ?? [],
  };
}
