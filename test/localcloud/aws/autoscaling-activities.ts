// Scaling activities: what the group did and why (DescribeScalingActivities). A failed launch, such
// as one from an AMI AWS deregistered, shows up here as a Failed activity with EC2's message.
import { randomUUID } from 'node:crypto';
import type { AsgRegion } from './autoscaling-state.js';
import type { AutoScalingGroup, ScalingActivity } from './autoscaling-types.js';

export type { ScalingActivity } from './autoscaling-types.js';

/** Newest activities kept per region; older ones fall off as AWS keeps six weeks. */
const MAX_ACTIVITIES = 1000;

export function recordActivity(
  region: AsgRegion,
  group: AutoScalingGroup,
  a: Omit<ScalingActivity, 'id' | 'groupName' | 'groupArn' | 'startTime'>,
): ScalingActivity {
  const activity: ScalingActivity = {
    id: randomUUID(),
    groupName: group.name,
    groupArn: group.arn,
    startTime: region.platform.now(),
    ...a,
  };
  region.activities.push(activity);
  if (region.activities.length > MAX_ACTIVITIES)
    region.activities.splice(0, region.activities.length - MAX_ACTIVITIES);
  return activity;
}

/** Marks the in-progress activity about an instance as done (its launch or termination finished). */
export function completeActivity(region: AsgRegion, instanceId: string): void {
  for (let i = region.activities.length - 1; i >= 0; i--) {
    const a = region.activities[i]!;
    if (a.instanceId === instanceId && a.statusCode === 'InProgress') {
      a.statusCode = 'Successful';
      a.endTime = region.platform.now();
      return;
    }
  }
}

export function activityView(a: ScalingActivity): Record<string, unknown> {
  return {
    ActivityId: a.id,
    AutoScalingGroupName: a.groupName,
    AutoScalingGroupARN: a.groupArn,
    Description: a.description,
    Cause: a.cause,
    StartTime: new Date(a.startTime),
    ...(a.endTime !== undefined ? { EndTime: new Date(a.endTime) } : {}),
    StatusCode: a.statusCode,
    ...(a.statusMessage !== undefined ? { StatusMessage: a.statusMessage } : {}),
    Progress: a.statusCode === 'InProgress' ? 50 : 100,
    Details: JSON.stringify(a.availabilityZone ? { 'Availability Zone': a.availabilityZone } : {}),
  };
}
