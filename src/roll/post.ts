// roll-asg's post step: after a cancelled or killed run, the journal's changes are put back (the
// refreshes rolled back, versions deleted, launch sources as written); nothing when main ended.
import type { ActionContext } from '../core/context.js';
import { finishFromJournal } from '../deploy/post.js';
import type { PutBackReport } from '../deploy/persist.js';
import type { RollInputs } from './inputs.js';
import { rollOptionsFrom } from './options.js';

/** How long the post step retries a call AWS throttles or fails with 5xx (deploy-ami's put-back-timeout default). */
const RETRY_MS = 5 * 60_000;

export function finishRoll(
  ctx: ActionContext,
  getState: (name: string) => string,
  inputs: RollInputs,
): Promise<PutBackReport | undefined> {
  const o = rollOptionsFrom(inputs);
  return finishFromJournal(
    ctx,
    getState,
    { selection: { names: o.names, tags: o.tags, consent: o.consent }, fields: () => [] },
    { retryMs: RETRY_MS, waitMs: o.timeoutMs },
  );
}
