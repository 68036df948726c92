// The post step: removes whatever the main step left, after success, failure or cancellation.
import type { ActionContext } from '../core/context.js';
import { ActionFailure } from '../core/errors.js';
import { removeBakeResources, type CleanupReport } from './cleanup.js';
import type { SavedBake } from './state.js';

/**
 * The post step: whatever main left (a builder still there; unless the bake succeeded, every
 * image and snapshot it made) is removed. Runs after cancellation too, when main was killed.
 */
export async function cleanupAfterBake(
  ctx: ActionContext,
  saved: SavedBake | undefined,
  o: { retryDelayMs: number },
): Promise<CleanupReport | undefined> {
  if (!saved) {
    ctx.log.info('Nothing to clean up: the bake never started.');
    return undefined;
  }
  const report = await removeBakeResources(ctx, {
    ...saved,
    removeImages: !saved.done,
    // Saved state is text a build could have written: an image marked completed is a result, always.
    spareCompleted: true,
    snapshotRetries: 10,
    retryDelayMs: o.retryDelayMs,
  });
  const removed = [...report.terminated, ...report.deregistered, ...report.deletedSnapshots];
  ctx.log.info(removed.length ? `Cleaned up ${removed.join(', ')}.` : 'Nothing left behind.');
  if (report.leftovers.length)
    throw new ActionFailure(`Could not clean up after bake ${saved.bakeId}: ${report.leftovers.join('; ')}`);
  return report;
}
