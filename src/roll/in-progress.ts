// Instance refreshes already running on a group: find the newest, and fail, wait for or cancel it.
import { CancelInstanceRefreshCommand, type InstanceRefresh } from '@aws-sdk/client-auto-scaling';
import { hasCode, isTransient } from '../aws/errors.js';
import { isActive, latestRefresh } from '../aws/refreshes.js';
import { ActionFailure, withContext } from '../core/errors.js';
import { poll } from '../core/poll.js';
import type { ActionContext } from '../core/context.js';
import { groupLabel } from '../aws/group-label.js';

export interface ActiveRefresh {
  id: string;
  status: string;
  percentageComplete?: number;
}

export interface WaitTiming {
  deadline: number;
  pollIntervalMs: number;
  maxPollIntervalMs: number;
}

export const describeActive = (r: ActiveRefresh): string =>
  `instance refresh ${r.id} (${r.status}${r.percentageComplete !== undefined ? `, ${r.percentageComplete}% complete` : ''})`;

export function toActive(r: InstanceRefresh): ActiveRefresh {
  return {
    id: r.InstanceRefreshId ?? '(unknown id)',
    status: r.Status ?? 'unknown',
    ...(r.PercentageComplete !== undefined ? { percentageComplete: r.PercentageComplete } : {}),
  };
}

export async function activeRefresh(
  ctx: ActionContext,
  region: string,
  group: string,
): Promise<ActiveRefresh | undefined> {
  const latest = await latestRefresh(ctx.clients.autoScaling(region), group, { signal: ctx.signal }).catch(
    (err: unknown) => {
      throw withContext(`listing instance refreshes of ${group} in ${region}`, err);
    },
  );
  return latest && isActive(latest) ? toActive(latest) : undefined;
}

/**
 * Gets a running refresh out of the way: `wait` polls until it ends; `cancel` cancels it and
 * polls until AWS reports it cancelled (a rollback in progress too). Returns the refresh that was
 * settled.
 */
export async function settleActiveRefresh(
  ctx: ActionContext,
  region: string,
  group: string,
  active: ActiveRefresh,
  mode: 'wait' | 'cancel',
  timing: WaitTiming,
): Promise<{ refresh: ActiveRefresh; finalStatus: string; cancelled: boolean }> {
  let cancelled = false;
  // CancelInstanceRefresh "cancels an instance refresh or rollback that is in progress".
  if (mode === 'cancel' && active.status !== 'Cancelling') {
    ctx.log.info(`${groupLabel(region, group)}: cancelling ${describeActive(active)}`);
    try {
      await ctx.clients
        .autoScaling(region)
        .send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: group }), { abortSignal: ctx.signal });
      cancelled = true;
    } catch (err) {
      // It ended between our look and the cancel: nothing left to cancel.
      if (!hasCode(err, 'ActiveInstanceRefreshNotFound'))
        throw withContext(`cancelling ${describeActive(active)} of ${group} in ${region}`, err);
    }
  } else {
    ctx.log.info(`${groupLabel(region, group)}: waiting for ${describeActive(active)} to finish`);
  }
  const finalStatus = await poll({
    phase: `waiting for ${describeActive(active)} of ${group} in ${region} to ${mode === 'cancel' ? 'be cancelled' : 'finish'}`,
    clock: ctx.clock,
    signal: ctx.signal,
    deadline: timing.deadline,
    minDelayMs: timing.pollIntervalMs,
    maxDelayMs: timing.maxPollIntervalMs,
    isTransient,
    onTransient: (err) =>
      ctx.log.info(
        `${groupLabel(region, group)}: poll failed for now (${String((err as Error).message)}); retrying`,
      ),
    onProgress: (p) => ctx.log.info(`${groupLabel(region, group)}: ${p}`),
    check: async () => {
      const r = await latestRefresh(ctx.clients.autoScaling(region), group, {
        id: active.id,
        signal: ctx.signal,
      });
      if (!r)
        throw new ActionFailure(
          `Instance refresh ${active.id} of ${group} in ${region} disappeared while waiting for it.`,
        );
      if (!isActive(r)) return { done: true, value: r.Status ?? 'unknown' };
      return { done: false, progress: describeActive(toActive(r)) };
    },
  });
  ctx.log.info(`${groupLabel(region, group)}: instance refresh ${active.id} ended ${finalStatus}`);
  return { refresh: active, finalStatus, cancelled };
}
