// One watched group's lifecycle as a state machine: each state carries the data it needs, and the
// functions below are the only code that moves a group from one state to another (README.md lists
// the transitions with their tests).
import type { FailureAction, GroupResult, HealthStatus } from './types.js';

/** Why a group failed, and how it ends if the recovery we start completes. */
export interface Failure {
  kind: 'failed' | 'timed-out';
  reason: string;
}

/** The call that recovers a failed group: AWS's rollback, a cancel, or our refresh back. */
export type RecoveryCall = 'rollback' | 'cancel' | 'revert';

/** How a group ended: its status, what was done about a failure, one line, and when. */
export interface Ending {
  status: HealthStatus;
  action: FailureAction;
  message: string;
  at: number;
}

export type Lifecycle =
  /** Its refresh runs; the checks decide. */
  | {
      phase: 'watching';
      /** Since when some instance has been seen unhealthy, and the refresh's progress then. */
      unhealthy?: { since: number; atPercent: number };
      /** When the refresh reached Baking or Successful: the grace for full verification starts here. */
      verifyingSince?: number;
      /** The refresh was read while the group looked converged: later rounds read it when paced. */
      convergedRead: boolean;
    }
  /** Failed: the recovery call is to be sent (again, after throttling) at this look. */
  | { phase: 'recovering'; failure: Failure; call: RecoveryCall }
  /** AWS accepted our rollback or cancel: waiting for the refresh to end. */
  | { phase: 'rolling-back'; failure: Failure }
  /** Our refresh back to the previous version runs: ended once proven on that version. */
  | { phase: 'reverting'; failure: Failure }
  | { phase: 'done'; ending: Ending };

export type Phase = Lifecycle['phase'];

/** What a transition needs of the group: its state, its result, and its deadline. */
export interface Machine {
  life: Lifecycle;
  result: GroupResult;
  deadlineAt: number;
}

/** The transitions: from each state, the states it may move to. */
export const TRANSITIONS: { readonly [P in Phase]: readonly Phase[] } = {
  watching: ['recovering', 'done'],
  recovering: ['recovering', 'rolling-back', 'reverting', 'done'],
  'rolling-back': ['done'],
  reverting: ['done'],
  done: [],
};

function move(s: Machine, next: Lifecycle): void {
  if (!TRANSITIONS[s.life.phase].includes(next.phase))
    throw new Error(`bug: a watched group cannot go from ${s.life.phase} to ${next.phase}`);
  s.life = next;
}

export const watching = (): Lifecycle => ({ phase: 'watching', convergedRead: false });

/** watching → recovering: the group failed and its refresh allows a recovery; it gets `budgetMs` more. */
export function startRecovery(
  s: Machine,
  failure: Failure,
  call: 'rollback' | 'revert',
  now: number,
  budgetMs: number,
): void {
  move(s, { phase: 'recovering', failure, call });
  s.deadlineAt = now + budgetMs;
}

/** recovering(rollback) → recovering(cancel): AWS cannot roll this refresh back. */
export function cancelInstead(s: Machine, why: string): void {
  if (s.life.phase !== 'recovering') throw new Error(`bug: cancelling instead while ${s.life.phase}`);
  const failure = { ...s.life.failure, reason: `${s.life.failure.reason}; ${why}` };
  s.result.action = 'cancelled';
  move(s, { phase: 'recovering', failure, call: 'cancel' });
}

/** recovering → rolling-back (rollback, cancel) or reverting (revert): AWS accepted the call. */
export function callAccepted(s: Machine, now: number): void {
  if (s.life.phase !== 'recovering') throw new Error(`bug: a recovery call accepted while ${s.life.phase}`);
  const { failure, call } = s.life;
  move(s, call === 'revert' ? { phase: 'reverting', failure } : { phase: 'rolling-back', failure });
  s.result.timeline.rollbackStart ??= now;
  if (call !== 'cancel') s.result.action = 'rollback-started';
}

/** Any state → done: the group's ending, written to its result. */
export function finish(s: Machine, ending: Ending): void {
  move(s, { phase: 'done', ending });
  s.result.status = ending.status;
  s.result.action = ending.action;
  s.result.message = ending.message;
  s.result.timeline.end = ending.at;
}

/** The failure a recovering, rolling-back or reverting group carries. */
export function failureOf(life: Lifecycle): Failure | undefined {
  return life.phase === 'recovering' || life.phase === 'rolling-back' || life.phase === 'reverting'
    ? life.failure
    : undefined;
}
