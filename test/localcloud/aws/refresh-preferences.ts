// StartInstanceRefresh preference rules (ranges and combinations AWS rejects) and the defaults AWS
// reports back in DescribeInstanceRefreshes.
import type { InstanceMaintenancePolicy, RefreshPreferences } from './autoscaling-types.js';
import { AwsError } from './service.js';

const MAX_DELAY_SECONDS = 172_800;

function invalid(message: string): AwsError {
  return new AwsError('ValidationError', message);
}

function checkRange(name: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${name} must be an integer between ${min} and ${max}.`);
  }
}

export function validatePreferences(p: RefreshPreferences, hasDesiredConfiguration: boolean): void {
  checkRange('MinHealthyPercentage', p.MinHealthyPercentage, 0, 100);
  checkRange('MaxHealthyPercentage', p.MaxHealthyPercentage, 100, 200);
  checkRange('InstanceWarmup', p.InstanceWarmup, 0, Number.MAX_SAFE_INTEGER);
  checkRange('CheckpointDelay', p.CheckpointDelay, 0, MAX_DELAY_SECONDS);
  checkRange('BakeTime', p.BakeTime, 0, MAX_DELAY_SECONDS);
  if (p.MaxHealthyPercentage !== undefined) {
    if (p.MinHealthyPercentage === undefined) {
      throw invalid('If you specify MaxHealthyPercentage, you must also specify MinHealthyPercentage.');
    }
    if (p.MaxHealthyPercentage - p.MinHealthyPercentage > 100) {
      throw invalid(
        'The difference between MaxHealthyPercentage and MinHealthyPercentage cannot be greater than 100.',
      );
    }
  }
  const cps = p.CheckpointPercentages;
  if (cps !== undefined) {
    cps.forEach((cp, i) => {
      checkRange('CheckpointPercentages', cp, 1, 100);
      if (i > 0 && cp <= (cps[i - 1] ?? 0)) {
        throw invalid('CheckpointPercentages must be unique and in ascending order.');
      }
    });
  } else if (p.CheckpointDelay !== undefined) {
    throw invalid('CheckpointDelay requires CheckpointPercentages.');
  }
  if (
    p.ScaleInProtectedInstances !== undefined &&
    !['Refresh', 'Ignore', 'Wait'].includes(p.ScaleInProtectedInstances)
  ) {
    throw invalid('ScaleInProtectedInstances must be one of Refresh, Ignore, Wait.');
  }
  if (p.StandbyInstances !== undefined && !['Terminate', 'Ignore', 'Wait'].includes(p.StandbyInstances)) {
    throw invalid('StandbyInstances must be one of Terminate, Ignore, Wait.');
  }
  if ((p.AlarmSpecification?.Alarms?.length ?? 0) > 10) {
    throw invalid('AlarmSpecification accepts at most 10 alarms.');
  }
  if (p.AutoRollback && !hasDesiredConfiguration) {
    throw invalid(
      "The request isn't valid. The AutoRollback parameter cannot be set to true when the DesiredConfiguration " +
        'parameter is empty. Set AutoRollback to false or specify a desired configuration and try again.',
    );
  }
}

/**
 * "If you do not specify this property, the default is 90 percent, or the percentage set in the
 * instance maintenance policy for the Auto Scaling group, if defined" (and 100 for the maximum).
 */
export function withDefaults(p: RefreshPreferences, policy?: InstanceMaintenancePolicy): RefreshPreferences {
  const out: RefreshPreferences = {
    MinHealthyPercentage: p.MinHealthyPercentage ?? policy?.MinHealthyPercentage ?? 90,
    MaxHealthyPercentage: p.MaxHealthyPercentage ?? policy?.MaxHealthyPercentage ?? 100,
    SkipMatching: p.SkipMatching ?? false,
    AutoRollback: p.AutoRollback ?? false,
    ScaleInProtectedInstances: p.ScaleInProtectedInstances ?? 'Wait',
    StandbyInstances: p.StandbyInstances ?? 'Wait',
    BakeTime: p.BakeTime ?? 0,
  };
  if (p.InstanceWarmup !== undefined) out.InstanceWarmup = p.InstanceWarmup;
  if (p.CheckpointPercentages !== undefined) {
    out.CheckpointPercentages = [...p.CheckpointPercentages];
    out.CheckpointDelay = p.CheckpointDelay ?? 3600;
  }
  if (p.AlarmSpecification !== undefined)
    out.AlarmSpecification = { Alarms: [...(p.AlarmSpecification.Alarms ?? [])] };
  return out;
}
