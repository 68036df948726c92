// One watched group's lifecycle as a state machine. Each state carries only what it needs; `next`
// (pure) is the one place a group moves, and the appliers below add what a move means to the
// group's result. README.md lists the transitions with their tests.
import type { FailureAction, GroupResult, HealthStatus } from './types.js';

/** Why a group failed, and how it ends if the recovery we start completes. */
export interface Failure {
  kind: 'failed' | 'timed-out';
  reason: string;
}

/** Where our refresh back goes: the launch template version (a number) and AMI the group ran before. */
export interface RevertTarget {
  templateId: string;
  version: string;
  amiId?: string;
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

/** What the checks keep while they decide, whether the refresh runs or is verified. */
interface Checked {
  /** Since when some instance has been seen unhealthy, and the refresh's progress then. */
  unhealthy?: { since: number; atPercent: number };
  /** The refresh was read while the group looked converged: later rounds read it when paced. */
  convergedRead: boolean;
  /** A refresh proven Successful by the group's switch was read once, to confirm it before a failure. */
  confirmed?: boolean;
}

/** Its refresh runs: unhealthy instances past the grace fail it. */
export interface Watching extends Checked {
  phase: 'watching';
}

/** The refresh reached Baking or Successful: every check runs, and the grace for them started `since`. */
export interface Verifying extends Checked {
  phase: 'verifying';
  since: number;
}

/** Failed: the recovery call is to be sent (again, after throttling) at this look. */
export type Recovering =
  | { phase: 'recovering'; failure: Failure; call: 'rollback' }
  | { phase: 'recovering'; failure: Failure; call: 'cancel' }
  | { phase: 'recovering'; failure: Failure; call: 'revert'; to: RevertTarget };

/** AWS accepted our rollback or cancel: waiting for the refresh to end. */
export interface RollingBack {
  phase: 'rolling-back';
  failure: Failure;
}

/** Our refresh back to `to` runs: ended once the group is proven on that version. */
export interface Reverting {
  phase: 'reverting';
  failure: Failure;
  to: RevertTarget;
}

export interface Done {
  phase: 'done';
  ending: Ending;
}

export type Lifecycle = Watching | Verifying | Recovering | RollingBack | Reverting | Done;

export type Phase = Lifecycle['phase'];

/** How a failed group's recovery starts: AWS's rollback of a running refresh, or our refresh back. */
export type RecoveryStart = { call: 'rollback' } | { call: 'revert'; to: RevertTarget };

/** What moves a group. */
export type LifeEvent =
  /** AWS reports the refresh Baking or Successful. */
  | { type: 'verifying'; at: number }
  /** A check or the refresh failed, and the refresh allows a recovery. */
  | ({ type: 'failed'; failure: Failure } & RecoveryStart)
  /** AWS cannot roll this refresh back (IrreversibleInstanceRefresh): cancel it instead. */
  | { type: 'irreversible'; why: string }
  /** AWS accepted the recovery call. */
  | { type: 'accepted' }
  /** The group's ending is known. */
  | { type: 'ended'; ending: Ending };

/** The transitions: from each state, the states it may move to. */
export const TRANSITIONS: { readonly [P in Phase]: readonly Phase[] } = {
  watching: ['verifying', 'recovering', 'done'],
  verifying: ['recovering', 'done'],
  recovering: ['recovering', 'rolling-back', 'reverting', 'done'],
  'rolling-back': ['done'],
  reverting: ['done'],
  done: [],
};

const wrongState = (e: LifeEvent, life: Lifecycle) =>
  new Error(`bug: a watched group cannot take ${e.type} while ${life.phase}`);

/** The state an event moves a group to; an event its state cannot take, or a move TRANSITIONS does not list, is a bug. */
export function next(life: Lifecycle, e: LifeEvent): Lifecycle {
  const to = target(life, e);
  if (!TRANSITIONS[life.phase].includes(to.phase))
    throw new Error(`bug: a watched group cannot go from ${life.phase} to ${to.phase}`);
  return to;
}

function target(life: Lifecycle, e: LifeEvent): Lifecycle {
  switch (e.type) {
    case 'verifying':
      if (life.phase !== 'watching') throw wrongState(e, life);
      return { ...life, phase: 'verifying', since: e.at };
    case 'failed':
      if (!checksDecide(life)) throw wrongState(e, life);
      return e.call === 'revert'
        ? { phase: 'recovering', failure: e.failure, call: 'revert', to: e.to }
        : { phase: 'recovering', failure: e.failure, call: 'rollback' };
    case 'irreversible':
      if (life.phase !== 'recovering' || life.call !== 'rollback') throw wrongState(e, life);
      return {
        phase: 'recovering',
        failure: { ...life.failure, reason: `${life.failure.reason}; ${e.why}` },
        call: 'cancel',
      };
    case 'accepted':
      if (life.phase !== 'recovering') throw wrongState(e, life);
      return life.call === 'revert'
        ? { phase: 'reverting', failure: life.failure, to: life.to }
        : { phase: 'rolling-back', failure: life.failure };
    case 'ended':
      return { phase: 'done', ending: e.ending };
  }
}

/** What the appliers need of the group: its state, its result, and its deadline. */
export interface Machine {
  life: Lifecycle;
  result: GroupResult;
  deadlineAt: number;
}

export const watching = (): Watching => ({ phase: 'watching', convergedRead: false });

/** Watching or verifying: the refresh and the checks decide, no recovery runs. */
export const checksDecide = (life: Lifecycle): life is Watching | Verifying =>
  life.phase === 'watching' || life.phase === 'verifying';

/** watching → verifying: AWS reports the refresh Baking or Successful. */
export function startVerifying(s: Machine, now: number): void {
  s.life = next(s.life, { type: 'verifying', at: now });
  s.result.timeline.verifyStart ??= now;
}

/** watching or verifying → recovering: the group failed and its refresh allows a recovery; it gets `budgetMs` more. */
export function startRecovery(
  s: Machine,
  failure: Failure,
  how: RecoveryStart,
  now: number,
  budgetMs: number,
): void {
  s.life = next(s.life, { type: 'failed', failure, ...how });
  s.deadlineAt = now + budgetMs;
}

/** recovering(rollback) → recovering(cancel): AWS cannot roll this refresh back. */
export function cancelInstead(s: Machine, why: string): void {
  s.life = next(s.life, { type: 'irreversible', why });
  s.result.action = 'cancelled';
}

/** recovering → rolling-back (rollback, cancel) or reverting (revert): AWS accepted the call. */
export function callAccepted(s: Machine, now: number): void {
  const cancel = s.life.phase === 'recovering' && s.life.call === 'cancel';
  s.life = next(s.life, { type: 'accepted' });
  s.result.timeline.rollbackStart ??= now;
  if (!cancel) s.result.action = 'rollback-started';
}

/** Any state but done → done: the group's ending, written to its result. */
export function finish(s: Machine, ending: Ending): void {
  s.life = next(s.life, { type: 'ended', ending });
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
