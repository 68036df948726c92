// Roll's typed options: from the parsed inputs (rollOptionsFrom, the capability's toOptions), on to
// StartInstanceRefresh's preferences. Durations are in ms.
import type { RefreshPreferences } from '@aws-sdk/client-auto-scaling';
import { followPace } from '../core/input-fields.js';
import { consentFrom } from './consent.js';
import type { RollInputs } from './inputs.js';

/** Where the AMI comes from: a literal id, or an SSM parameter (`name`, `name:label`, `name:version`) read per region. */
export type AmiSource = { id: string } | { parameter: string };

/** Instance refresh preferences, passed to AWS as given (see refreshPreferences). */
export interface RefreshPreferenceOptions {
  /** Unset: not sent, so the group's instance maintenance policy (else AWS's 90/100) applies. */
  minHealthyPercentage?: number;
  maxHealthyPercentage?: number;
  instanceWarmupMs?: number;
  checkpointPercentages: number[];
  checkpointDelayMs?: number;
  skipMatching: boolean;
  autoRollback: boolean;
  alarms: string[];
  scaleInProtectedInstances?: 'Refresh' | 'Ignore' | 'Wait';
  standbyInstances?: 'Terminate' | 'Ignore' | 'Wait';
  bakeTimeMs?: number;
}

export type InProgressMode = 'fail' | 'wait' | 'cancel';

export interface RollOptions {
  regions: string[];
  /** Group names; with tags as well, a group must be named and carry every tag. */
  names: string[];
  tags: Record<string, string>;
  /** The `golden-ami:parameter` value a group selected by tags alone must carry (consent.ts). */
  consent?: string;
  ami: AmiSource;
  preferences: RefreshPreferenceOptions;
  setDefaultVersion: boolean;
  ifRefreshInProgress: InProgressMode;
  maxConcurrency: number;
  /** Bounds every wait of the run (running refreshes, and the health wait with `wait`). */
  timeoutMs: number;
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  dryRun: boolean;
  /** Wait until healthy afterwards, with wait-healthy's code. */
  wait: boolean;
  /** SSM selectors the caller points at the AMI before the refreshes start (see PlanSettings). */
  promised?: ReadonlyMap<string, string>;
  /** The caller moves the template default itself once proven (deploy-ami's set-default-version). */
  defaultMoves?: boolean;
  /** A caller's read-only plan before it changes things (deploy-ami): the dry run says so, not "Dry run". */
  planOnly?: boolean;
}

const ms = (seconds: number | undefined) => (seconds === undefined ? undefined : seconds * 1000);

export function rollOptionsFrom(inputs: RollInputs): RollOptions {
  const pace = followPace(inputs);
  const pollIntervalMs = Math.round(pace.pollInterval * 1000);
  return {
    regions: inputs.regions.length ? inputs.regions : [inputs.region],
    names: inputs.asgNames,
    tags: inputs.asgTags,
    ...consentFrom(inputs),
    ami: inputs.amiId ? { id: inputs.amiId } : { parameter: inputs.amiParameter ?? '' },
    preferences: {
      minHealthyPercentage: inputs.minHealthyPercentage,
      maxHealthyPercentage: inputs.maxHealthyPercentage,
      instanceWarmupMs: ms(inputs.instanceWarmup),
      checkpointPercentages: inputs.checkpointPercentages.map(Number),
      checkpointDelayMs: ms(inputs.checkpointDelay),
      skipMatching: inputs.skipMatching,
      autoRollback: inputs.autoRollback,
      alarms: inputs.alarms,
      scaleInProtectedInstances: inputs.scaleInProtectedInstances,
      standbyInstances: inputs.standbyInstances,
      bakeTimeMs: ms(inputs.bakeTime),
    },
    setDefaultVersion: inputs.setDefaultVersion,
    ifRefreshInProgress: inputs.ifRefreshInProgress,
    maxConcurrency: inputs.maxConcurrency,
    timeoutMs: Math.round(inputs.timeout * 1000),
    pollIntervalMs,
    maxPollIntervalMs: Math.round(pace.maxPollInterval * 1000),
    dryRun: inputs.dryRun,
    wait: inputs.wait,
  };
}

const seconds = (ms: number) => Math.round(ms / 1000);

/**
 * The StartInstanceRefresh preferences for one group. Everything is passed through as given
 * (durations in AWS's seconds; what the user left empty is not sent, so the group's own settings
 * and AWS's defaults apply), except skip matching for templates that take the image from SSM:
 * AWS matches instances by template version, which does not change when the parameter does, so
 * it would skip them all.
 */
export function refreshPreferences(
  p: RefreshPreferenceOptions,
  o: { imageFromSsm: boolean },
): RefreshPreferences {
  return {
    ...(p.minHealthyPercentage !== undefined ? { MinHealthyPercentage: p.minHealthyPercentage } : {}),
    ...(p.maxHealthyPercentage !== undefined ? { MaxHealthyPercentage: p.maxHealthyPercentage } : {}),
    ...(p.instanceWarmupMs !== undefined ? { InstanceWarmup: seconds(p.instanceWarmupMs) } : {}),
    ...(p.checkpointPercentages.length ? { CheckpointPercentages: p.checkpointPercentages } : {}),
    ...(p.checkpointDelayMs !== undefined ? { CheckpointDelay: seconds(p.checkpointDelayMs) } : {}),
    SkipMatching: p.skipMatching && !o.imageFromSsm,
    AutoRollback: p.autoRollback,
    ...(p.alarms.length ? { AlarmSpecification: { Alarms: p.alarms } } : {}),
    ...(p.scaleInProtectedInstances ? { ScaleInProtectedInstances: p.scaleInProtectedInstances } : {}),
    ...(p.standbyInstances ? { StandbyInstances: p.standbyInstances } : {}),
    ...(p.bakeTimeMs !== undefined ? { BakeTime: seconds(p.bakeTimeMs) } : {}),
  };
}
