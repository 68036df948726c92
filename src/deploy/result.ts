// What one deploy-ami transaction ends with: its status, what it changed, proved and put back.
import { PartialFailure } from '../core/errors.js';
import type { HealthResult } from '../health/wait.js';
import type { RegionPromotion } from '../promote/types.js';
import type { ReapResult } from '../reap/reap.js';
import type { RollResult } from '../roll/roll.js';
import type { Remaining } from './persist.js';

/** healthy / failed / rolled-back / timed-out as wait-healthy; refused: a check failed, nothing changed; planned: dry run. */
export type DeployStatus = 'healthy' | 'failed' | 'rolled-back' | 'timed-out' | 'refused' | 'planned';

/**
 * When the environment's label moves. Groups whose template resolves the parameter launch what
 * the label says, so it moves first (and is put back on failure); groups pinned to the AMI by id
 * need no record to launch, so the label moves only once the fleet is proven healthy.
 */
export type Order = 'label-first' | 'fleet-first';

export interface DeployResult {
  environment: string;
  /** With amis: the region this result is of. */
  region?: string;
  amiId: string;
  label: string;
  dryRun: boolean;
  order?: Order;
  /** The read-only plan: what promote and roll would do. */
  planned?: { promote?: RegionPromotion; roll: RollResult };
  promoted?: RegionPromotion;
  rolled?: RollResult;
  wait?: HealthResult;
  /** What a failed run put back, one phrase each. */
  restored: string[];
  /** Groups put back on $Latest/$Default (and defaults moved) once proven, one phrase each. */
  sources?: string[];
  /** What it could not put back, each with the command that finishes it. */
  remaining?: Remaining[];
  reap?: { result?: ReapResult; warning?: string };
  status: DeployStatus;
  /** The one-line failure, when the step fails. */
  failure?: string;
  timings: { phase: string; ms: number }[];
}

/** The step failed; carries the result so outputs and the summary still tell what happened. */
export class DeployFailure extends PartialFailure<DeployResult> {}
