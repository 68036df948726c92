// The StartInstanceRefresh preferences for one group, passed through as given except SkipMatching on SSM images.
import type { RefreshPreferences } from '@aws-sdk/client-auto-scaling';
import type { RefreshPreferenceOptions } from './options.js';

/**
 * The StartInstanceRefresh preferences for one group. Everything is passed through as given,
 * except skip matching for templates that take the image from SSM: AWS matches instances by
 * template version, which does not change when the parameter does, so it would skip them all.
 */
export function refreshPreferences(
  p: RefreshPreferenceOptions,
  o: { imageFromSsm: boolean },
): RefreshPreferences {
  return {
    MinHealthyPercentage: p.minHealthyPercentage,
    MaxHealthyPercentage: p.maxHealthyPercentage,
    ...(p.instanceWarmup !== undefined ? { InstanceWarmup: p.instanceWarmup } : {}),
    ...(p.checkpointPercentages.length ? { CheckpointPercentages: p.checkpointPercentages } : {}),
    ...(p.checkpointDelay !== undefined ? { CheckpointDelay: p.checkpointDelay } : {}),
    SkipMatching: p.skipMatching && !o.imageFromSsm,
    AutoRollback: p.autoRollback,
    ...(p.alarms.length ? { AlarmSpecification: { Alarms: p.alarms } } : {}),
    ...(p.scaleInProtectedInstances ? { ScaleInProtectedInstances: p.scaleInProtectedInstances } : {}),
    ...(p.standbyInstances ? { StandbyInstances: p.standbyInstances } : {}),
    ...(p.bakeTime !== undefined ? { BakeTime: p.bakeTime } : {}),
  };
}
