// bake-ami as a capability. A failed bake reports how far each phase got and what it cleaned up
// (no outputs: nothing it made is left to use), then fails with the bake's own error line.
import { randomBytes } from 'node:crypto';
import { defineCapability } from '../core/capability.js';
import type { ActionContext } from '../core/context.js';
import { PartialFailure } from '../core/errors.js';
import { bake, type BakeOptions, type BakeResult } from './bake.js';
import type { CleanupReport } from './leftovers/cleanup.js';
import { bakeSpec } from './inputs.js';
import { bakeOptions, bakeRunOptions } from './options.js';
import { renderBakeSummary, renderFailedBakeSummary } from './summary.js';

/** A finished bake, or how far a failed one got and what it cleaned up. */
export interface BakeReport {
  result: BakeResult;
  failed?: { cleanup: CleanupReport; cancelled: boolean };
}

async function runBake(ctx: ActionContext, options: BakeOptions): Promise<BakeReport> {
  // The two things toOptions may not decide: the bake id's random part, and the current directory.
  const o = bakeRunOptions(options, { random: randomBytes(4).toString('hex'), cwd: process.cwd() });
  let failed: (BakeReport['failed'] & { partial: BakeResult }) | undefined;
  try {
    return {
      result: await bake(ctx, {
        ...o,
        onFailure: (partial, cleanup) => {
          failed = { partial, cleanup, cancelled: ctx.signal.aborted };
        },
      }),
    };
  } catch (err) {
    if (!failed) throw err;
    const { partial, ...rest } = failed;
    throw PartialFailure.carrying(err, { result: partial, failed: rest });
  }
}

export const bakeCapability = defineCapability({
  spec: bakeSpec,
  toOptions: bakeOptions,
  run: runBake,
  outputs: ({ result: r, failed }) =>
    failed
      ? {}
      : {
          'ami-id': r.amiId ?? '',
          'ami-name': r.amiName,
          amis: r.amis,
          'source-ami-id': r.sourceAmiId,
          fingerprint: r.fingerprint,
          reused: r.reused,
          'builder-instance-id': r.builderInstanceId ?? '',
        },
  summary: ({ result, failed }, failure) =>
    failed
      ? renderFailedBakeSummary(result, failed.cleanup, failed.cancelled, failure)
      : renderBakeSummary(result),
});
