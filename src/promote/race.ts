// SSM has no conditional write, so a promotion racing another one is detected after the fact:
// versions that landed between the one we decided against and ours mean our decision was made
// on a stale value. We decide again against what really preceded us, and put it back if ours
// must not stand. Two racers therefore never leave the older AMI current.
import { ActionFailure, TimeoutError } from '../core/errors.js';
import { poll } from '../core/poll.js';
import type { ActionContext } from '../core/context.js';
import { decide } from './decide.js';
import { compareCreation, findImage, type ImageFacts } from './images.js';
import { labelVersion, putVersion, readHistory, waitForVersion, type HistoryEntry } from './parameter.js';
import type { PromoteOptions, PromoteTarget } from './types.js';

/** This promotion lost a race: the region holds the concurrent writer's value (restored when needed). */
export class ConcurrentPromotion extends ActionFailure {}

export interface WriteFacts {
  target: PromoteTarget;
  image: ImageFacts;
  /** The version our decision was made against (0: the parameter did not exist). */
  baseVersion: number;
  baseValue?: string;
  /** The version our write created. */
  version: number;
}

export interface RaceOutcome {
  /** A later version by someone else, if any: it decides what is current now. */
  supersededBy?: HistoryEntry;
  notes: string[];
}

/**
 * Reads the history (waiting briefly for versions in our window still being validated) and
 * checks that no concurrent write makes ours wrong. Throws ActionFailure after restoring the
 * concurrent value when it does.
 */
export async function checkConcurrentWrites(
  ctx: ActionContext,
  options: PromoteOptions,
  w: WriteFacts,
): Promise<RaceOutcome> {
  const history = await historyWithoutGaps(ctx, options, w);
  const { region } = w.target;
  const name = options.parameterName;
  const between = history.filter((h) => h.version > w.baseVersion && h.version < w.version);
  const later = history.filter((h) => h.version > w.version).at(-1);
  const notes: string[] = [];
  const before = between.at(-1);
  if (before && before.value !== w.target.amiId) {
    const beforeImage = await findImage(ctx, region, before.value);
    const verdict = decide({
      parameterName: name,
      region,
      image: w.image,
      current: before,
      currentImage: beforeImage,
      expected: w.target.expected,
      // allow-older was granted against the value we saw, not against one written meanwhile.
      allowOlder: options.allowOlder && before.value === w.baseValue,
    });
    if (verdict.kind === 'refuse') {
      const what = `a concurrent promotion wrote ${before.value} as version ${before.version} while this one wrote ${w.target.amiId} as version ${w.version}`;
      if (later)
        throw new ConcurrentPromotion(
          `${what} (${verdict.reason}); version ${later.version} (${later.value}) has been written since, so it is left current`,
        );
      const restored = await putVersion(
        ctx,
        region,
        { name, value: before.value, overwrite: true, tags: {} },
        options.pollIntervalMs,
      );
      await waitForVersion(ctx, region, name, restored, before.value, {
        timeoutMs: options.validationTimeoutMs,
        pollIntervalMs: options.pollIntervalMs,
      });
      await followLabels(ctx, region, name, before, restored);
      throw new ConcurrentPromotion(
        `${what} (${verdict.reason}); restored ${before.value} as version ${restored}`,
      );
    }
    notes.push(
      `a concurrent promotion wrote ${before.value} as version ${before.version} first; ${w.target.amiId} replaces it`,
    );
  }
  if (later)
    notes.push(
      `version ${later.version} (${later.value}) was written after this promotion's version ${w.version}`,
    );
  return { supersededBy: later, notes };
}

/** Labels the concurrent writer had put on its version follow the value we restored. */
async function followLabels(
  ctx: ActionContext,
  region: string,
  name: string,
  from: HistoryEntry,
  to: number,
): Promise<void> {
  const now = await readHistory(ctx, region, name);
  const labels = now.find((h) => h.version === from.version)?.labels ?? [];
  for (const label of labels) await labelVersion(ctx, region, name, to, label);
}

/**
 * Version numbers are assigned at PutParameter time but a version becomes visible only once
 * validated: a concurrent version below ours may still be pending. Wait for our window to fill
 * (missing versions after the validation timeout were rejected).
 */
async function historyWithoutGaps(
  ctx: ActionContext,
  options: PromoteOptions,
  w: WriteFacts,
): Promise<HistoryEntry[]> {
  const gapsIn = (history: HistoryEntry[]) => {
    const seen = new Set(history.map((h) => h.version));
    const gaps: number[] = [];
    for (let v = w.baseVersion + 1; v < w.version; v++) if (!seen.has(v)) gaps.push(v);
    // Versions older than the 100 SSM keeps are gone for good, not pending.
    const oldest = history[0]?.version ?? 0;
    return gaps.filter((v) => v > oldest);
  };
  let history: HistoryEntry[] = [];
  try {
    await poll({
      phase: `waiting for concurrent versions of ${options.parameterName} in ${w.target.region}`,
      clock: ctx.clock,
      signal: ctx.signal,
      deadline: ctx.clock.now() + options.validationTimeoutMs,
      minDelayMs: options.pollIntervalMs,
      maxDelayMs: 10 * options.pollIntervalMs,
      onProgress: (p, attempt) => ctx.log.info(`history ${attempt}: ${p}`),
      check: async () => {
        history = await readHistory(ctx, w.target.region, options.parameterName);
        const gaps = gapsIn(history);
        if (gaps.length === 0) return { done: true, value: undefined };
        return {
          done: false,
          progress: `versions ${gaps.join(', ')} written concurrently are not validated yet`,
        };
      },
    });
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err;
    ctx.log.warning(
      `versions ${gapsIn(history).join(', ')} of ${options.parameterName} never appeared: SSM rejected them`,
    );
  }
  return history;
}

/**
 * A label moved by two racers can end on the older writer's version. If a later version holds
 * an AMI at least as new as ours, the label belongs there.
 */
export async function settleLabel(
  ctx: ActionContext,
  options: PromoteOptions,
  w: { region: string; image: ImageFacts; version: number; label: string },
): Promise<{ version: number; note?: string }> {
  const history = await readHistory(ctx, w.region, options.parameterName);
  const latest = history.at(-1);
  const onOurs = history.find((h) => h.version === w.version)?.labels.includes(w.label) ?? false;
  if (!latest || latest.version <= w.version || !onOurs) return { version: w.version };
  const latestImage = latest.value === w.image.amiId ? w.image : await findImage(ctx, w.region, latest.value);
  const order = latestImage ? compareCreation(latestImage, w.image) : undefined;
  if (order === undefined || order < 0) return { version: w.version };
  await labelVersion(ctx, w.region, options.parameterName, latest.version, w.label);
  return {
    version: latest.version,
    note: `version ${latest.version} (${latest.value}) was written concurrently, so label ${w.label} follows it there`,
  };
}
