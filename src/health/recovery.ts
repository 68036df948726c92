// What happens when a group fails: roll back, cancel, or leave the refresh alone, saying why.
// Rolls back where AWS allows it, cancels where it does not, and changes nothing with
// rollback-on-failure off.
import { describeError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { hasCode, isTransient } from '../aws/errors.js';
import type { HealthApi } from './aws-calls.js';
import { ACTIVE, label, type GroupState } from './group-state.js';

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
  s.failureKind = kind;
  s.failureReason = reason;
  s.result.timeline.failedAt ??= c.now;
  c.log.warning(`${label(s)}: ${reason}`);
  const status = s.refresh?.Status ?? 'unknown';
  if (!c.rollbackOnFailure) {
    finish(
      s,
      kind,
      'none',
      c.leftFor
        ? `${reason}; the refresh (${status}) is left to ${c.leftFor}`
        : `${reason}; rollback-on-failure is off, so the refresh (${status}) was left as it is`,
      c.now,
    );
    return;
  }
  if (status === 'Successful' && s.revert) {
    // Too late for RollbackInstanceRefresh: a new refresh takes the group back instead.
    s.pendingAction = 'revert';
    s.deadlineAt = c.now + c.rollbackBudgetMs;
    await runPendingAction(s, c);
    return;
  }
  if (!ACTIVE.has(status)) {
    finish(
      s,
      kind,
      'not-possible',
      `${reason}; AWS rolls back only an active refresh and this one is ${status}, so nothing was rolled back`,
      c.now,
    );
    return;
  }
  s.pendingAction = 'rollback';
  s.deadlineAt = c.now + c.rollbackBudgetMs;
  await runPendingAction(s, c);
}

/** Starts (or retries, after throttling) the rollback or cancel the group is waiting on. */
export async function runPendingAction(s: GroupState, c: RecoveryContext): Promise<void> {
  const action = s.pendingAction;
  if (!action) return;
  try {
    if (action === 'rollback') await c.api.rollback(s.region, s.group);
    else if (action === 'revert') {
      const id = await c.api.startRevert(
        s.region,
        s.group,
        s.revert!,
        s.refresh?.Preferences,
        s.refresh?.DesiredConfiguration,
      );
      s.reverting = true;
      s.refreshId = id;
      s.result.refreshId = id;
    } else await c.api.cancel(s.region, s.group);
  } catch (err) {
    if (isTransient(err)) {
      c.log.warning(
        `${label(s)}: ${action} not accepted yet (${describeError(err)}); retrying at the next poll`,
      );
      s.phase = 'rolling-back';
      return;
    }
    s.pendingAction = undefined;
    if (action === 'rollback' && hasCode(err, 'IrreversibleInstanceRefresh')) {
      // No desired configuration, an SSM-resolved ImageId, or $Latest/$Default: AWS cannot undo it.
      s.failureReason = `${s.failureReason}; AWS cannot roll this refresh back (${describeError(err)}), so it was cancelled instead: instances already replaced stay on the new version`;
      s.result.action = 'cancelled';
      s.pendingAction = 'cancel';
      return runPendingAction(s, c);
    }
    if (hasCode(err, 'ActiveInstanceRefreshNotFound')) {
      finish(
        s,
        s.failureKind ?? 'failed',
        'not-possible',
        `${s.failureReason}; the refresh ended before it could be ${action === 'rollback' ? 'rolled back' : 'cancelled'}`,
        c.now,
      );
      return;
    }
    finish(
      s,
      s.failureKind ?? 'failed',
      action === 'cancel' ? 'none' : 'rollback-failed',
      `${s.failureReason}; ${action === 'revert' ? 'the refresh back to the previous version' : action} failed: ${describeError(err)}`,
      c.now,
    );
    return;
  }
  s.pendingAction = undefined;
  s.phase = 'rolling-back';
  s.pace.reset();
  s.result.timeline.rollbackStart ??= c.now;
  if (action !== 'cancel') s.result.action = 'rollback-started';
  c.log.info(
    `${label(s)}: ${
      action === 'rollback'
        ? 'RollbackInstanceRefresh started'
        : action === 'revert'
          ? `instance refresh ${s.refreshId} started back to launch template version ${s.revert!.version}`
          : 'CancelInstanceRefresh requested'
    }; waiting for it to finish`,
  );
}

export function finish(
  s: GroupState,
  status: GroupState['result']['status'],
  action: GroupState['result']['action'],
  message: string,
  now: number,
): void {
  s.phase = 'done';
  s.result.status = status;
  s.result.action = action;
  s.result.message = message;
  s.result.timeline.end = now;
}
