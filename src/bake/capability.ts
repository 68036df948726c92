// bake-ami as a capability. A failed bake reports how far each phase got and what it cleaned up
// (no outputs: nothing it made is left to use), then fails with the bake's own error line.
import { randomBytes } from 'node:crypto';
import { defineCapability } from '../core/capability.js';
import type { ActionContext, StepEnv } from '../core/context.js';
import { PartialFailure } from '../core/errors.js';
import { bake, type BakeOptions, type BakeResult } from './bake.js';
import type { CleanupReport } from './cleanup.js';
import { bakeSpec, type BakeInputs } from './inputs.js';
import { childProcessRunner } from './packer-process.js';
import { renderBakeSummary, renderFailedBakeSummary } from './summary.js';

/** A finished bake, or how far a failed one got and what it cleaned up. */
export interface BakeReport {
  result: BakeResult;
  failed?: { cleanup: CleanupReport; cancelled: boolean };
}

/**
 * The capability's toOptions: the inputs with what the runner says about this run (commit, run
 * URL, workspace), where the post step's state goes, and an id for everything this bake makes.
 */
export function bakeOptions(inputs: BakeInputs, step: StepEnv): BakeOptions {
  const env = (name: string) => step.env(name) || undefined;
  const server = env('GITHUB_SERVER_URL') ?? 'https://github.com';
  const repo = env('GITHUB_REPOSITORY');
  const runId = env('GITHUB_RUN_ID');
  const runUrl = repo && runId ? `${server}/${repo}/actions/runs/${runId}` : undefined;
  // One id per bake step: run, attempt and a random part (two bakes in one job stay apart).
  const bakeId = `${runId ?? 'local'}-${env('GITHUB_RUN_ATTEMPT') ?? '1'}-${randomBytes(4).toString('hex')}`;
  return {
    ...inputs,
    bakeId,
    commit: env('GITHUB_SHA'),
    runUrl,
    workingDirectory: env('GITHUB_WORKSPACE') ?? process.cwd(),
    record: (name, value) => step.saveState(name, value),
    processRunner: childProcessRunner(env('PATH')),
  };
}

async function runBake(ctx: ActionContext, o: BakeOptions): Promise<BakeReport> {
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
