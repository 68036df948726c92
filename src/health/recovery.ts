// What happens when a group fails: roll back, cancel, or leave the refresh alone, saying why.
// Rolls back where AWS allows it, cancels where it does not, and changes nothing with
// rollback-on-failure off.
import { describeError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { hasCode, isTransient } from '../aws/errors.js';
import type { HealthApi } from './aws-calls.js';
import { RUNNING_STATUSES } from '../aws/refreshes.js';
import { label, type GroupState } from './group-state.js';
import {
  callAccepted,
  cancelInstead,
  finish,
  startRecovery,
  type Ending,
  type Failure,
  type RecoveryCall,
  type RecoveryStart,
  type Recovering,
} from './lifecycle.js';

export interface RecoveryContext {
  api: HealthApi;
  log: Log;
  now: number;
  rollbackOnFailure: boolean;
  /** Who puts a failure back when rollbackOnFailure is off (deploy-ami's put-back), for the message. */
  leftFor?: string;
  /** How long a rollback may take once started. */
  rollbackBudgetMs: number;
}

/** Marks the group failed (or timed out) and starts the recovery its refresh allows. */
export async function fail(
  s: GroupState,
  kind: 'failed' | 'timed-out',
  reason: string,
  c: RecoveryContext,
): Promise<void> {
  s.result.timeline.failedAt ??= c.now;
  c.log.warning(`${label(s)}: ${reason}`);
  const status = s.refresh?.Status ?? 'unknown';
  if (!c.rollbackOnFailure) {
    const left = c.leftFor
      ? `the refresh (${status}) is left to ${c.leftFor}`
      : `rollback-on-failure is off, so the refresh (${status}) was left as it is`;
    return finish(s, { status: kind, action: 'none', message: `${reason}; ${left}`, at: c.now });
  }
  if (!(status === 'Successful' && s.revert) && !RUNNING_STATUSES.has(status))
    return finish(s, {
      status: kind,
      action: 'not-possible',
      message: `${reason}; AWS rolls back only an active refresh and this one is ${status}, so nothing was rolled back`,
      at: c.now,
    });
  // Too late for RollbackInstanceRefresh after Successful: a new refresh takes the group back instead.
  const how: RecoveryStart =
    status === 'Successful' && s.revert ? { call: 'revert', to: s.revert } : { call: 'rollback' };
  startRecovery(s, { kind, reason }, how, c.now, c.rollbackBudgetMs);
  await sendRecovery(s, c);
}

/** Sends the recovery call the group is waiting on (again, after throttling). */
export async function sendRecovery(s: GroupState, c: RecoveryContext): Promise<void> {
  while (s.life.phase === 'recovering') {
    const pending = s.life;
    const { call, failure } = pending;
    try {
      await recoveryCall(s, pending, c);
    } catch (err) {
      if (isTransient(err)) {
        c.log.warning(
          `${label(s)}: ${call} not accepted yet (${describeError(err)}); retrying at the next poll`,
        );
        return;
      }
      // No desired configuration, an SSM-resolved ImageId, or $Latest/$Default: AWS cannot undo it.
      if (call === 'rollback' && hasCode(err, 'IrreversibleInstanceRefresh')) {
        cancelInstead(
          s,
          `AWS cannot roll this refresh back (${describeError(err)}), so it was cancelled instead: instances already replaced stay on the new version`,
        );
        continue;
      }
      return finish(s, refused(call, failure, err, c.now));
    }
    callAccepted(s, c.now);
    s.pace.reset();
    c.log.info(`${label(s)}: ${startedLine(s, pending)}; waiting for it to finish`);
  }
}

/** The call itself; a refresh back becomes the refresh the group watches. */
async function recoveryCall(s: GroupState, pending: Recovering, c: RecoveryContext): Promise<void> {
  if (pending.call === 'rollback') return c.api.rollback(s.region, s.group);
  if (pending.call === 'cancel') return c.api.cancel(s.region, s.group);
  const id = await c.api.startRevert(
    s.region,
    s.group,
    pending.to,
    s.refresh?.Preferences,
    s.refresh?.DesiredConfiguration,
  );
  s.refreshId = id;
  s.result.refreshId = id;
}

/** How a group ends when AWS refuses its recovery call outright. */
function refused(call: RecoveryCall, failure: Failure, err: unknown, now: number): Ending {
  if (hasCode(err, 'ActiveInstanceRefreshNotFound'))
    return {
      status: failure.kind,
      action: 'not-possible',
      message: `${failure.reason}; the refresh ended before it could be ${call === 'rollback' ? 'rolled back' : 'cancelled'}`,
      at: now,
    };
  return {
    status: failure.kind,
    action: call === 'cancel' ? 'none' : 'rollback-failed',
    message: `${failure.reason}; ${call === 'revert' ? 'the refresh back to the previous version' : call} failed: ${describeError(err)}`,
    at: now,
  };
}

function startedLine(s: GroupState, pending: Recovering): string {
  if (pending.call === 'rollback') return 'RollbackInstanceRefresh started';
  if (pending.call === 'cancel') return 'CancelInstanceRefresh requested';
  return `instance refresh ${s.refreshId} started back to launch template version ${pending.to.version}`;
}
