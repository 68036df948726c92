// Every action step a section runs goes through here, so the secrets section can read back every
// log, output, state file and summary of the whole bench run.
import { runActionStep, type ActionRun, type RunOptions, type StepRun } from '../test/harness/run-action.js';

export interface Transcript {
  /** Section and scenario, e.g. "reap 1k". */
  label: string;
  action: string;
  /** Named pieces of text the step produced: log, outputs, state, summary, and the same for post. */
  texts: Record<string, string>;
}

const transcripts: Transcript[] = [];

function texts(prefix: string, s: StepRun): Record<string, string> {
  return {
    [`${prefix}log`]: s.log,
    [`${prefix}outputs`]: JSON.stringify(s.outputs),
    [`${prefix}state`]: JSON.stringify(s.state),
    [`${prefix}env`]: JSON.stringify(s.exportedEnv),
    [`${prefix}summary`]: s.summary,
  };
}

export async function runStep(label: string, action: string, opts: RunOptions): Promise<ActionRun> {
  const t = Date.now();
  const run = await runActionStep(action, opts);
  // BENCH_DEBUG=1 prints every step's time, to see where a section spends it.
  if (process.env.BENCH_DEBUG) console.log(`[step] ${label} ${Date.now() - t} ms exit ${run.exitCode}`);
  transcripts.push({
    label,
    action,
    texts: { ...texts('', run), ...(run.post ? texts('post ', run.post) : {}) },
  });
  return run;
}

export function allTranscripts(): readonly Transcript[] {
  return transcripts;
}

/** The first error line of a step, for figures and failure messages. */
export const firstError = (r: StepRun): string =>
  r.errors[0] ?? (r.exitCode === 0 ? '' : `exit ${r.exitCode}`);
