// roll-asg's run, journaled as deploy-ami's is: every change saved to step state before it is
// sent and `refreshes` written as each refresh starts, so a cancelled run (SIGINT, or killed) is
// put back by the post step instead of leaving refreshes and versions nobody knows about.
import type { ActionContext } from '../core/context.js';
import { journaled } from '../deploy/journal-middleware.js';
import { groupBefore, type Journal } from '../deploy/journal.js';
import { putBack } from '../deploy/put-back.js';
import type { RollOptions } from './options.js';
import { roll, type RollResult } from './roll.js';

/** What main may spend putting back after SIGINT: the runner sends SIGKILL 10 s after it. */
const CANCEL_PUT_BACK_MS = 6_000;

export async function rollJournaled(
  ctx: ActionContext,
  o: RollOptions & { journal: Journal },
): Promise<RollResult> {
  const { journal } = o;
  const run = journaled(ctx, journal);
  journal.recording = true;
  try {
    return await roll(run, o, {
      onPlanned: (groups, amiIds) =>
        journal.begin({
          amiId: Object.values(amiIds)[0] ?? '',
          amiIds,
          environment: '',
          startedAt: Date.now(),
          rollbackOnFailure: true,
          groups: groups.map(groupBefore),
        }),
    });
  } catch (err) {
    if (ctx.signal.aborted && journal.data) {
      journal.recording = false;
      // Stop the refreshes now; the post step finishes putting back.
      const quick = { ...ctx, signal: AbortSignal.timeout(CANCEL_PUT_BACK_MS) };
      const report = await putBack(quick, journal.data, { quick: true, retryMs: 3_000, waitMs: 0 }).catch(
        () => undefined,
      );
      for (const line of report?.restored ?? []) ctx.log.info(line);
      ctx.log.warning('Cancelled: the post step puts back what this run changed.');
    }
    throw err;
  } finally {
    journal.recording = false;
    // Ended by itself (success or a failure it reported): its refreshes are the workflow's to watch.
    if (!ctx.signal.aborted) journal.settle('ended');
  }
}
