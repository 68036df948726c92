// From parsed roll-asg inputs to the roll capability's options.
import { consentFrom } from './consent.js';
import type { RollInputs } from './inputs.js';

/** Where the AMI comes from: a literal id, or an SSM parameter (`name`, `name:label`, `name:version`) read per region. */
export type AmiSource = { id: string } | { parameter: string };

/** Instance refresh preferences, passed to AWS as given (see preferences.ts). */
export interface RefreshPreferenceOptions {
  minHealthyPercentage: number;
  maxHealthyPercentage: number;
  instanceWarmup?: number;
  checkpointPercentages: number[];
  checkpointDelay?: number;
  skipMatching: boolean;
  autoRollback: boolean;
  alarms: string[];
  scaleInProtectedInstances?: 'Refresh' | 'Ignore' | 'Wait';
  standbyInstances?: 'Terminate' | 'Ignore' | 'Wait';
  bakeTime?: number;
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
}

export function rollOptionsFrom(inputs: RollInputs): RollOptions {
  const pollIntervalMs = Math.round(inputs.pollIntervalSeconds * 1000);
  return {
    regions: inputs.regions.length ? inputs.regions : [inputs.region],
    names: inputs.asgNames,
    tags: inputs.asgTags,
    ...consentFrom(inputs),
    ami: inputs.amiId ? { id: inputs.amiId } : { parameter: inputs.amiParameter ?? '' },
    preferences: {
      minHealthyPercentage: inputs.minHealthyPercentage,
      maxHealthyPercentage: inputs.maxHealthyPercentage,
      instanceWarmup: inputs.instanceWarmup,
      checkpointPercentages: inputs.checkpointPercentages.map(Number),
      checkpointDelay: inputs.checkpointDelay,
      skipMatching: inputs.skipMatching,
      autoRollback: inputs.autoRollback,
      alarms: inputs.alarms,
      scaleInProtectedInstances: inputs.scaleInProtectedInstances,
      standbyInstances: inputs.standbyInstances,
      bakeTime: inputs.bakeTime,
    },
    setDefaultVersion: inputs.setDefaultVersion,
    ifRefreshInProgress: inputs.ifRefreshInProgress,
    maxConcurrency: inputs.maxConcurrency,
    timeoutMs: inputs.timeoutMinutes * 60_000,
    pollIntervalMs,
    maxPollIntervalMs: Math.max(pollIntervalMs, Math.round(inputs.maxPollIntervalSeconds * 1000)),
    dryRun: inputs.dryRun,
    wait: inputs.wait,
  };
}
