// EnterStandby / ExitStandby: an InService instance steps out of service (out of its target groups,
// no longer counted in the desired capacity) and comes back, as the Auto Scaling API describes.
import { recordActivity, type ScalingActivity } from './autoscaling-activities.js';
import type { AsgRegion } from './autoscaling-state.js';
import type { AutoScalingGroup, GroupInstance } from './autoscaling-types.js';
import { elbv2TargetGroups } from './autoscaling-traffic.js';
import { deregisterTarget, registerTarget } from './elbv2-state.js';
import { AwsError } from './service.js';

function invalid(message: string): AwsError {
  return new AwsError('ValidationError', message);
}

function members(group: AutoScalingGroup, ids: readonly string[], state: GroupInstance['lifecycle']) {
  if (ids.length > 20) throw invalid('The number of InstanceIds cannot exceed 20.');
  return ids.map((id) => {
    const inst = group.instances.get(id);
    if (!inst) throw invalid(`The instance ${id} is not part of Auto Scaling group ${group.name}.`);
    if (inst.lifecycle !== state) throw invalid(`The instance ${id} is not in ${state}.`);
    return inst;
  });
}

function moveTargets(region: AsgRegion, group: AutoScalingGroup, id: string, register: boolean): void {
  const now = region.platform.now();
  for (const arn of elbv2TargetGroups(group)) {
    const tg = region.targetGroups.get(arn);
    if (tg) (register ? registerTarget : deregisterTarget)(tg, id, now);
  }
}

/**
 * "If you choose to decrement the desired capacity of the Auto Scaling group, the instances can enter
 * standby successfully. Otherwise, Amazon EC2 Auto Scaling launches new instances to replace them."
 */
export function enterStandby(
  region: AsgRegion,
  group: AutoScalingGroup,
  ids: readonly string[],
  decrement: boolean,
): ScalingActivity[] {
  const insts = members(group, ids, 'InService');
  if (decrement && group.desired - insts.length < group.min)
    throw invalid(
      `Decrementing the desired capacity by ${insts.length} would take it below the group's min size (${group.min}).`,
    );
  if (decrement) group.desired -= insts.length;
  const at = new Date(region.platform.now()).toISOString();
  return insts.map((inst) => {
    inst.lifecycle = 'Standby';
    moveTargets(region, group, inst.instanceId, false);
    return recordActivity(region, group, {
      instanceId: inst.instanceId,
      description: `Moving EC2 instance to Standby: ${inst.instanceId}`,
      cause: `At ${at} instance ${inst.instanceId} was moved to standby in response to a user request.`,
      statusCode: 'Successful',
      endTime: region.platform.now(),
      availabilityZone: inst.availabilityZone,
    });
  });
}

/** Back in service: Pending until InService, in its target groups again, the desired capacity up by one. */
export function exitStandby(
  region: AsgRegion,
  group: AutoScalingGroup,
  ids: readonly string[],
): ScalingActivity[] {
  const insts = members(group, ids, 'Standby');
  if (group.desired + insts.length > group.max)
    throw invalid(
      `Incrementing the desired capacity by ${insts.length} would exceed the group's max size (${group.max}).`,
    );
  group.desired += insts.length;
  const at = new Date(region.platform.now()).toISOString();
  return insts.map((inst) => {
    inst.lifecycle = 'Pending';
    moveTargets(region, group, inst.instanceId, true);
    return recordActivity(region, group, {
      instanceId: inst.instanceId,
      description: `Moving EC2 instance out of Standby: ${inst.instanceId}`,
      cause: `At ${at} instance ${inst.instanceId} was moved out of standby in response to a user request.`,
      statusCode: 'InProgress',
      availabilityZone: inst.availabilityZone,
    });
  });
}
