// One look at one group: its progress line, checkpoints, and the verdict healthy / wait / failed.
// Reads the refresh status and the snapshot, and starts recovery when the group failed.
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { Log } from '../core/log.js';
import { launchTemplateOf } from '../aws/group-templates.js';
import { RUNNING_STATUSES } from '../aws/refreshes.js';
import { label, type GroupState } from './group-state.js';
import { formatEta } from './pace.js';
import {
  checksDecide,
  failureOf,
  finish,
  startVerifying,
  type Ending,
  type Failure,
  type Reverting,
  type Verifying,
  type Watching,
} from './lifecycle.js';
import { fail, sendRecovery, type RecoveryContext } from './recovery.js';
import { verify, type Snapshot, type Verdict } from './verify.js';

export interface LookContext extends RecoveryContext {
  log: Log;
  graceMs: number;
  httpConfigured: boolean;
}

/** The launch template version the group names (what a rollback should have restored). */
export function groupVersion(g: AutoScalingGroup | undefined): string | undefined {
  return launchTemplateOf(g)?.Version;
}

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

/** The checks' data while watching or verifying; judging any other state by the checks is a bug. */
function checkedOf(s: GroupState): Watching | Verifying {
  if (!checksDecide(s.life)) throw new Error(`bug: checks judged while ${s.life.phase}`);
  return s.life;
}

function recordVerdict(s: GroupState, v: Verdict, httpConfigured: boolean): void {
  Object.assign(s.result, {
    desired: v.desired,
    inService: v.inService.length,
    onExpected: v.onExpected,
    healthyTargets: v.healthyTargets,
    totalTargets: v.totalTargets,
    ...(v.totalTargets ? { targetsFrom: v.targetsFrom } : {}),
    // No health-url, no count: "0 passed" would read as a failed check.
    ...(httpConfigured ? { httpOk: v.httpOk } : {}),
  });
}

/** Unhealthy instances that persist past the grace fail the group; progress in between forgives. */
function unhealthyTooLong(
  s: GroupState,
  v: Verdict,
  now: number,
  percent: number,
  c: LookContext,
): string | undefined {
  const life = checkedOf(s);
  if (v.unhealthy.length) {
    life.unhealthy ??= { since: now, atPercent: percent };
    if (now - life.unhealthy.since >= c.graceMs)
      return `${plural(v.unhealthy.length, 'instance')} unhealthy for more than ${Math.round(c.graceMs / 1000)}s (unhealthy-grace): ${v.problems.join('; ')}`;
  } else if (v.ok || percent > (life.unhealthy?.atPercent ?? Infinity)) {
    // Replaced-and-still-unhealthy instances come and go; only progress or a clean look resets the clock.
    life.unhealthy = undefined;
  }
  return undefined;
}

function reportCheckpoints(s: GroupState, percent: number, now: number, log: Log): void {
  const cps = s.refresh?.Preferences?.CheckpointPercentages ?? [];
  for (const cp of cps) {
    if (cp >= 100 || percent < cp || s.result.timeline.checkpoints.some((c) => c.percent === cp)) continue;
    s.result.timeline.checkpoints.push({ percent: cp, at: now });
    const delay = s.refresh?.Preferences?.CheckpointDelay;
    log.info(
      `${label(s)}: checkpoint ${cp}% reached${delay !== undefined ? ` (AWS pauses ${delay}s before going on)` : ''}`,
    );
  }
}

export async function look(
  s: GroupState,
  snapshot: Snapshot | undefined,
  now: number,
  c: LookContext,
): Promise<void> {
  const r = s.refresh;
  s.result.groupVersion = groupVersion(snapshot?.group) ?? s.result.groupVersion;
  if (!r) {
    const message = `no instance refresh ${s.refreshId ?? ''} found for the group`.replace('  ', ' ');
    finish(s, { status: 'failed', action: 'none', message, at: now });
    c.log.warning(`${label(s)}: ${message}`);
    return;
  }
  const status = r.Status ?? 'unknown';
  const percent = r.PercentageComplete ?? 0;
  Object.assign(s.result, {
    // What the status rests on: AWS's word when read; the group's switch when inferred.
    refreshStatus:
      s.statusFrom === 'desired-configuration' ? `${status} (desired configuration applied)` : status,
    refreshStatusFrom: s.statusFrom,
    statusReason: r.StatusReason,
    percentageComplete: percent,
  });
  if (r.StartTime) s.result.timeline.refreshStart ??= r.StartTime.getTime();
  if (r.EndTime && !RUNNING_STATUSES.has(status)) s.result.timeline.refreshEnd ??= r.EndTime.getTime();

  if (failureOf(s.life)) return lookRecovering(s, snapshot, now, c);

  reportCheckpoints(s, percent, now, c.log);
  s.pace.record(now, percent);
  const verdict = snapshot ? verify(snapshot, s.expected, c.httpConfigured) : undefined;
  if (verdict) recordVerdict(s, verdict, c.httpConfigured);
  const ended = await lookWatching(s, r, verdict, now, c);
  if (ended || s.life.phase === 'done' || now < s.deadlineAt) return;
  const minutes = Math.round((s.deadlineAt - s.result.timeline.watchStart) / 60_000);
  return fail(
    s,
    'timed-out',
    `timed out after ${minutes} minute(s) (timeout) with the refresh ${status} at ${percent}%`,
    c,
  );
}

type Refresh = NonNullable<GroupState['refresh']>;

/** The refresh as AWS reports it while we watch it; true when this look ended or failed the group. */
async function lookWatching(
  s: GroupState,
  r: Refresh,
  verdict: Verdict | undefined,
  now: number,
  c: LookContext,
): Promise<boolean> {
  const status = r.Status ?? 'unknown';
  const percent = r.PercentageComplete ?? 0;
  const reason = r.StatusReason ? ` · ${r.StatusReason}` : '';
  switch (status) {
    case 'Pending':
    case 'InProgress':
    case 'Cancelling': {
      const left =
        r.InstancesToUpdate !== undefined ? ` · ${plural(r.InstancesToUpdate, 'instance')} left` : '';
      // Replaced after the live pool: say so, or a finished-looking group seems stuck.
      const warm = r.ProgressDetails?.WarmPoolProgress;
      const pool = warm?.InstancesToUpdate
        ? ` · warm pool ${warm.PercentageComplete ?? 0}%, ${warm.InstancesToUpdate} left`
        : '';
      c.log.info(
        `${label(s)}: ${status} ${percent}%${left}${pool} · ETA ${formatEta(s.pace.etaMs())}${reason}`,
      );
      const bad =
        verdict && status === 'InProgress' ? unhealthyTooLong(s, verdict, now, percent, c) : undefined;
      if (bad) await fail(s, 'failed', bad, c);
      return Boolean(bad);
    }
    case 'Baking':
    case 'Successful':
      return lookVerifying(s, status, percent, verdict, now, c);
    case 'RollbackInProgress':
      c.log.info(
        `${label(s)}: AWS is rolling the refresh back (${r.RollbackDetails?.PercentageCompleteOnRollback ?? 0}%)${reason}`,
      );
      s.result.timeline.rollbackStart ??= r.RollbackDetails?.RollbackStartTime?.getTime() ?? now;
      return false;
    case 'RollbackSuccessful':
      rolledBackByAws(s, r, now);
      return true;
    case 'RollbackFailed':
      finish(s, {
        status: 'failed',
        action: 'rollback-failed',
        message: `AWS's rollback failed${r.StatusReason ? `: ${r.StatusReason}` : ''}`,
        at: now,
      });
      return true;
    case 'Failed':
    case 'Cancelled':
      await fail(s, 'failed', `refresh ${status}${r.StatusReason ? `: ${r.StatusReason}` : ''}`, c);
      return true;
    default:
      c.log.info(`${label(s)}: ${status} ${percent}%${reason}`);
      return false;
  }
}

/** Baking or Successful: the full checks decide; true when this look ended or failed the group. */
async function lookVerifying(
  s: GroupState,
  status: string,
  percent: number,
  verdict: Verdict | undefined,
  now: number,
  c: LookContext,
): Promise<boolean> {
  if (s.life.phase === 'watching') startVerifying(s, now);
  const life = checkedOf(s);
  if (!verdict) {
    c.log.info(`${label(s)}: ${status} ${percent}% · checks postponed (group not readable this poll)`);
    return false;
  }
  const checks = verdict.ok ? 'all checks pass' : verdict.problems.join('; ');
  c.log.info(
    `${label(s)}: ${status} ${percent}% · ${verdict.inService.length}/${verdict.desired} InService · ${checks}`,
  );
  if (verdict.ok && status === 'Successful') {
    s.result.timeline.verifiedAt = now;
    const proven = [
      s.statusFrom === 'desired-configuration'
        ? `refresh Successful by the group's switch to its desired configuration (version ${groupVersion(verdict.group)}), not read`
        : '',
      `${verdict.onExpected}/${verdict.desired} instances on ${[s.expected.version && `version ${s.expected.version}`, s.expected.amiId].filter(Boolean).join(' / ') || 'the group configuration'}`,
      verdict.totalTargets
        ? `${verdict.healthyTargets} healthy targets${verdict.targetsFrom === 'auto-scaling' ? " (Auto Scaling's ELB health check)" : ''}`
        : '',
      c.httpConfigured ? `${verdict.httpOk} health-url checks passed` : '',
    ].filter(Boolean);
    finish(s, { status: 'healthy', action: 'none', message: `healthy: ${proven.join(', ')}`, at: now });
    return true;
  }
  const bad = unhealthyTooLong(s, verdict, now, percent, c);
  if (bad) {
    await fail(s, 'failed', bad, c);
    return true;
  }
  if (status === 'Successful' && life.phase === 'verifying' && now - life.since >= c.graceMs) {
    await fail(
      s,
      'failed',
      `refresh Successful but not healthy ${Math.round(c.graceMs / 1000)}s later (unhealthy-grace): ${verdict.problems.join('; ')}`,
      c,
    );
    return true;
  }
  return false;
}

/** AWS rolled the refresh back by itself (auto rollback, an alarm) or someone called RollbackInstanceRefresh. */
function rolledBackByAws(s: GroupState, r: Refresh, now: number): void {
  s.result.timeline.rollbackStart ??= r.RollbackDetails?.RollbackStartTime?.getTime() ?? now;
  s.result.timeline.rollbackEnd = now;
  // A RollbackInstanceRefresh call (someone's, not this wait's) is not AWS rolling back on its own.
  const byCall = /RollbackInstanceRefresh|started by the user/i.test(r.StatusReason ?? '');
  finish(s, {
    status: 'rolled-back',
    action: 'rolled-back-by-aws',
    message: `${byCall ? 'the refresh was rolled back by a RollbackInstanceRefresh call made outside this wait' : 'AWS rolled the refresh back'}${r.StatusReason ? `: ${r.StatusReason}` : ''}${s.result.groupVersion ? `; group on launch template version ${s.result.groupVersion}` : ''}`,
    at: now,
  });
}

/** A failed group whose recovery runs: the call still to send, AWS's rollback or cancel, or our refresh back. */
async function lookRecovering(
  s: GroupState,
  snapshot: Snapshot | undefined,
  now: number,
  c: LookContext,
): Promise<void> {
  if (s.life.phase === 'recovering') await sendRecovery(s, c);
  // Read after the call: a rollback AWS refused becomes a cancel, and its reason says so.
  if (s.life.phase === 'reverting') return lookReverting(s, s.life, snapshot, now, c);
  const failure = failureOf(s.life);
  if (!failure) return;
  const pending = s.life.phase === 'recovering';
  const r = s.refresh!;
  const status = r.Status ?? 'unknown';
  const rollbackPercent = r.RollbackDetails?.PercentageCompleteOnRollback ?? r.PercentageComplete ?? 0;
  s.pace.record(now, status === 'RollbackInProgress' ? rollbackPercent : 0);
  const ended = rollbackEnding(s, failure, pending, now);
  if (ended) {
    if (status !== 'Successful' && status !== 'Failed') s.result.timeline.rollbackEnd = now;
    return finish(s, ended);
  }
  if (status !== 'Successful' && status !== 'Failed')
    c.log.info(
      `${label(s)}: ${status} · rollback ${rollbackPercent}%${r.StatusReason ? ` · ${r.StatusReason}` : ''}`,
    );
  if (now >= s.deadlineAt) {
    finish(s, {
      status: failure.kind,
      action: s.result.action,
      message: `${failure.reason}; the ${s.result.action === 'cancelled' ? 'cancel' : 'rollback'} was still ${status} when the wait gave up: check the group in AWS`,
      at: now,
    });
  }
}

/** How AWS's rollback or cancel ended the group, once the refresh says so; undefined while it runs. */
function rollbackEnding(s: GroupState, failure: Failure, pending: boolean, now: number): Ending | undefined {
  const r = s.refresh!;
  const status = r.Status ?? 'unknown';
  const cancelled = s.result.action === 'cancelled';
  switch (status) {
    case 'RollbackSuccessful': {
      const back = s.result.groupVersion
        ? `group back on launch template version ${s.result.groupVersion}`
        : 'group back on its previous configuration';
      return {
        status: failure.kind === 'timed-out' ? 'timed-out' : 'rolled-back',
        action: 'rolled-back',
        message: `${failure.reason}; rolled back: ${back}`,
        at: now,
      };
    }
    case 'RollbackFailed':
      return {
        status: 'failed',
        action: 'rollback-failed',
        message: `${failure.reason}; the rollback failed${r.StatusReason ? `: ${r.StatusReason}` : ''}`,
        at: now,
      };
    case 'Cancelled':
      return {
        status: failure.kind,
        action: cancelled ? 'cancelled' : 'not-possible',
        message: `${failure.reason}${cancelled ? '' : '; the refresh was cancelled'}`,
        at: now,
      };
    case 'Successful':
    case 'Failed':
      // Still to send: the call may yet reach the refresh (a revert after Successful waits here).
      if (pending) return undefined;
      return {
        status: failure.kind,
        action: 'not-possible',
        message: `${failure.reason}; the refresh ended ${status} before the rollback took effect`,
        at: now,
      };
    default:
      return undefined;
  }
}

/**
 * Our refresh back to the previous version (after the deployment's refresh ended Successful and a
 * check failed): rolled back once it is Successful and every instance is proven on that version.
 */
function lookReverting(
  s: GroupState,
  { failure, to }: Reverting,
  snapshot: Snapshot | undefined,
  now: number,
  c: LookContext,
): void {
  const r = s.refresh!;
  const status = r.Status ?? 'unknown';
  const target = { version: to.version, ...(to.amiId ? { amiId: to.amiId } : {}) };
  s.pace.record(now, r.PercentageComplete ?? 0);
  if (status === 'Successful' && snapshot) {
    const v = verify(snapshot, target, false);
    if (v.ok) {
      s.result.timeline.rollbackEnd = now;
      return finish(s, {
        status: failure.kind === 'timed-out' ? 'timed-out' : 'rolled-back',
        action: 'rolled-back',
        message:
          `${failure.reason}; rolled back by instance refresh ${s.refreshId} to launch template version ${to.version}: ` +
          `${v.onExpected}/${v.desired} instances on version ${to.version}${to.amiId ? ` / ${to.amiId}` : ''}`,
        at: now,
      });
    }
    c.log.info(`${label(s)}: back on version ${to.version}? not yet: ${v.problems.join('; ')}`);
  } else if (!RUNNING_STATUSES.has(status) && status !== 'Successful' && status !== 'unknown') {
    s.result.timeline.rollbackEnd = now;
    return finish(s, {
      status: 'failed',
      action: 'rollback-failed',
      message: `${failure.reason}; the refresh back to version ${to.version} ended ${status}${r.StatusReason ? `: ${r.StatusReason}` : ''}`,
      at: now,
    });
  } else
    c.log.info(`${label(s)}: refresh back to version ${to.version}: ${status} ${r.PercentageComplete ?? 0}%`);
  if (now >= s.deadlineAt)
    finish(s, {
      status: failure.kind,
      action: s.result.action,
      message: `${failure.reason}; the refresh back to version ${to.version} was still ${status} when the wait gave up: check the group in AWS`,
      at: now,
    });
}
