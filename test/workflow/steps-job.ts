// Runs one steps job the way a hosted runner does: job env, steps in order with `if:` and status
// functions, run: steps in bash, local node actions from their dist/ bundles (post steps after the
// last step, in reverse order), stand-ins for third-party actions, GITHUB_ENV/GITHUB_PATH carried
// forward, step outputs into the steps context, and the job's outputs evaluated at the end.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  condition,
  evaluate,
  evaluateMap,
  evaluateString,
  asString,
  fromData,
  type Contexts,
  type Status,
  type Value,
} from './expressions.js';
import type { StepDef, StepsJobDef } from './load.js';
import { runProcess, type ProcessResult } from './process-step.js';
import { standInFor } from './stand-ins.js';
import type { Conclusion, JobRecord, StepRecord } from './types.js';

export interface JobScope {
  key: string;
  name: string;
  /** Contexts known before the job starts: github, inputs, vars, secrets, needs, env (workflow). */
  contexts: Contexts;
  workspace: string;
  runnerTemp: string;
  baseEnv: Record<string, string>;
  awsEndpointUrl?: string;
  /** Values never printed: secrets and what steps mask. */
  masks: Set<string>;
  defaults?: { shell?: string; workingDirectory?: string };
  deadline: number;
  onLine(step: string, line: string): void;
  onStep(step: string, phase: 'start' | 'end', conclusion?: Conclusion, durationMs?: number): void;
}

interface ActionMeta {
  dir: string;
  inputs: Record<string, { default?: string; required?: boolean }>;
  runs: { using: string; main?: string; post?: string; 'post-if'?: string };
}

function loadActionMeta(dir: string): ActionMeta {
  const file = ['action.yml', 'action.yaml']
    .map((f) => join(dir, f))
    .find((f) => {
      try {
        readFileSync(f);
        return true;
      } catch {
        return false;
      }
    });
  if (!file)
    throw new Error(
      `Can't find 'action.yml' or 'action.yaml' under '${dir}'. Did you forget to run actions/checkout before running your local action?`,
    );
  const doc = parseYaml(readFileSync(file, 'utf8')) as Partial<ActionMeta>;
  if (!doc.runs) throw new Error(`${file}: runs is missing`);
  return { dir, inputs: doc.inputs ?? {}, runs: doc.runs };
}

/** Replaces `${{ … }}` inside a plain string (action.yml defaults such as `${{ github.token }}`). */
function interpolate(text: string, contexts: Contexts): string {
  return text.replace(/\$\{\{(.*?)\}\}/g, (_, expr: string) =>
    asString(fromData(evaluate(expr.trim(), contexts))),
  );
}

function mask(text: string, masks: Set<string>): string {
  let out = text;
  for (const m of masks) if (m.length >= 3) out = out.split(m).join('***');
  return out;
}

function shellCommand(shell: string | undefined, script: string): [string, string[]] {
  switch (shell ?? 'default') {
    case 'default':
      return ['bash', ['-e', script]];
    case 'bash':
      return ['bash', ['--noprofile', '--norc', '-eo', 'pipefail', script]];
    case 'sh':
      return ['sh', ['-e', script]];
    default:
      throw new Error(`shell ${shell} is not supported by the local runner (bash, sh)`);
  }
}

interface PostStep {
  step: StepDef;
  name: string;
  meta: ActionMeta;
  env: Record<string, string>;
  state: Record<string, string>;
}

export async function runStepsJob(
  job: StepsJobDef,
  scope: JobScope,
): Promise<Omit<JobRecord, 'key' | 'name' | 'startedAt' | 'durationMs'>> {
  const steps: StepRecord[] = [];
  const stepsContext: Record<string, Value> = {};
  let failed = false;
  const posts: PostStep[] = [];
  mkdirSync(scope.runnerTemp, { recursive: true });

  const base = (): Contexts => ({
    ...scope.contexts,
    steps: stepsContext,
    job: { status: failed ? 'failure' : 'success' },
    runner: {
      os: 'Linux',
      arch: 'X64',
      name: 'local-runner',
      temp: scope.runnerTemp,
      environment: 'self-hosted',
    },
    strategy: {},
    matrix: {},
  });
  const status: Status = { success: () => !failed, failure: () => failed, cancelled: () => false };
  // Variables written to GITHUB_ENV / GITHUB_PATH apply to every later step of this job.
  const exported: Record<string, string> = {};
  const addedPath: string[] = [];
  const jobEnv = evaluateMap(job.env, { ...base(), env: scope.contexts.env ?? {} });
  const envContext = (): Record<string, string> => ({
    ...((scope.contexts.env as Record<string, string>) ?? {}),
    ...jobEnv,
    ...exported,
  });
  const processEnv = (stepEnv: Record<string, string>): Record<string, string> => {
    const env = { ...scope.baseEnv, ...envContext(), ...stepEnv };
    if (addedPath.length) env.PATH = [...[...addedPath].reverse(), env.PATH ?? ''].join(delimiter);
    return env;
  };

  const record = (r: Omit<StepRecord, 'log' | 'summary'> & { log?: string; summary?: string }) => {
    const full: StepRecord = { summary: '', ...r, log: mask(r.log ?? '', scope.masks) };
    steps.push(full);
    scope.onStep(full.name, 'end', full.conclusion, full.durationMs);
    return full;
  };

  const absorb = (res: Pick<ProcessResult, 'exportedEnv' | 'path' | 'masks'>) => {
    Object.assign(exported, res.exportedEnv);
    addedPath.push(...res.path);
    for (const m of res.masks) scope.masks.add(m);
  };

  const timeLeft = () => scope.deadline - Date.now();

  for (const [index, step] of job.steps.entries()) {
    const ctx = { ...base(), env: envContext() };
    const name = step.name
      ? evaluateString(step.name, ctx)
      : step.run
        ? `Run ${evaluateString(step.run, ctx).split('\n')[0]}`
        : `Run ${step.uses}`;
    const start = Date.now();
    if (!condition(step.if, ctx, status) || timeLeft() <= 0) {
      stepsContext[step.id] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' };
      record({
        id: step.id,
        name,
        outcome: 'skipped',
        conclusion: 'skipped',
        outputs: {},
        errors: [],
        warnings: [],
        post: false,
        durationMs: 0,
      });
      continue;
    }
    scope.onStep(name, 'start');
    const stepEnv = evaluateMap(step.env, ctx);
    const stepCtx = { ...ctx, env: { ...ctx.env, ...stepEnv } };
    const stepTimeout = step.timeoutMinutes
      ? Number(evaluateString(step.timeoutMinutes, stepCtx)) * 60_000
      : Infinity;
    const timeoutMs = Math.max(0, Math.min(stepTimeout, timeLeft()));
    const filesDir = join(scope.runnerTemp, `step-${index}`);
    let res: ProcessResult | undefined;
    let error: string | undefined;
    try {
      if (step.run) {
        const script = join(filesDir, 'script.sh');
        mkdirSync(filesDir, { recursive: true });
        writeFileSync(script, evaluateString(step.run, stepCtx));
        const wd = step.workingDirectory
          ? evaluateString(step.workingDirectory, stepCtx)
          : scope.defaults?.workingDirectory;
        const [command, args] = shellCommand(step.shell ?? scope.defaults?.shell, script);
        res = await runProcess({
          command,
          args,
          cwd: wd ? resolve(scope.workspace, wd) : scope.workspace,
          env: processEnv(stepEnv),
          filesDir,
          timeoutMs,
          onLine: (l) => scope.onLine(name, mask(l, scope.masks)),
        });
      } else if (step.uses?.startsWith('./')) {
        const meta = loadActionMeta(resolve(scope.workspace, step.uses));
        const env = actionEnv(meta, step, stepCtx, processEnv(stepEnv), step.uses, (m) =>
          scope.onLine(name, `##[warning]${m}`),
        );
        res = await runNode(meta, 'main', env, scope, filesDir, timeoutMs, (l) =>
          scope.onLine(name, mask(l, scope.masks)),
        );
        if (meta.runs.post) posts.push({ step, name, meta, env, state: res.state });
      } else if (step.uses) {
        const standIn = standInFor(step.uses);
        if (!standIn)
          throw new Error(`${step.uses}: no local stand-in for this action (see test/workflow/stand-ins.ts)`);
        const out = standIn({
          inputs: evaluateMap(step.with, stepCtx),
          env: processEnv(stepEnv),
          runnerTemp: scope.runnerTemp,
          ...(scope.awsEndpointUrl ? { awsEndpointUrl: scope.awsEndpointUrl } : {}),
        });
        for (const s of out.secrets) scope.masks.add(s);
        for (const l of out.lines) scope.onLine(name, l);
        res = {
          exitCode: 0,
          killedBy: null,
          timedOut: false,
          outputs: out.outputs,
          state: {},
          exportedEnv: out.exportedEnv,
          path: out.path,
          summary: '',
          log: out.lines.join('\n'),
          errors: [],
          warnings: [],
          notices: [],
          debug: [],
          masks: out.secrets,
          groups: [],
        };
      }
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      scope.onLine(name, `##[error]${error}`);
    }
    if (res) absorb(res);
    const ok = !error && res?.exitCode === 0;
    const outcome: Conclusion = ok ? 'success' : 'failure';
    const continueOnError =
      typeof step.continueOnError === 'boolean'
        ? step.continueOnError
        : step.continueOnError
          ? evaluateString(step.continueOnError, stepCtx) === 'true'
          : false;
    const conclusion: Conclusion = ok || continueOnError ? 'success' : 'failure';
    if (conclusion === 'failure') failed = true;
    stepsContext[step.id] = { outputs: res?.outputs ?? {}, outcome, conclusion };
    const errors = [
      ...(res?.errors ?? []),
      ...(error ? [error] : []),
      ...(res?.timedOut ? [`step timed out after ${Math.round(timeoutMs / 1000)} s`] : []),
    ];
    record({
      id: step.id,
      name,
      outcome,
      conclusion,
      outputs: res?.outputs ?? {},
      log: res?.log ?? error ?? '',
      summary: res?.summary ?? '',
      errors,
      warnings: res?.warnings ?? [],
      post: false,
      durationMs: Date.now() - start,
    });
  }

  // Post steps: reverse order, post-if (default always()) evaluated with the job's final status.
  for (const p of [...posts].reverse()) {
    const ctx = { ...base(), env: envContext() };
    if (!condition(p.meta.runs['post-if'] ?? 'always()', ctx, status)) continue;
    const name = `Post ${p.name}`;
    scope.onStep(name, 'start');
    const start = Date.now();
    const stateEnv = Object.fromEntries(Object.entries(p.state).map(([k, v]) => [`STATE_${k}`, v]));
    const res = await runNode(
      p.meta,
      'post',
      { ...p.env, ...stateEnv },
      scope,
      join(scope.runnerTemp, `post-${p.step.id}`),
      10 * 60_000,
      (l) => scope.onLine(name, mask(l, scope.masks)),
    );
    const conclusion: Conclusion = res.exitCode === 0 ? 'success' : 'failure';
    if (conclusion === 'failure') failed = true;
    record({
      id: `post-${p.step.id}`,
      name,
      outcome: conclusion,
      conclusion,
      outputs: {},
      log: res.log,
      summary: res.summary,
      errors: res.errors,
      warnings: res.warnings,
      post: true,
      durationMs: Date.now() - start,
    });
  }

  const outputs = evaluateMap(job.outputs, { ...base(), env: envContext() });
  return { result: failed ? 'failure' : 'success', outputs, steps };
}

/** INPUT_* as the runner builds them: action.yml defaults, then the step's with:, undeclared ones warned about. */
function actionEnv(
  meta: ActionMeta,
  step: StepDef,
  ctx: Contexts,
  env: Record<string, string>,
  uses: string,
  warn: (m: string) => void,
): Record<string, string> {
  const out: Record<string, string> = {
    ...env,
    GITHUB_ACTION_PATH: meta.dir,
    GITHUB_ACTION: step.id,
    GITHUB_ACTION_REPOSITORY: '',
  };
  const key = (name: string) => `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
  for (const [name, spec] of Object.entries(meta.inputs))
    if (spec.default !== undefined) out[key(name)] = interpolate(String(spec.default), ctx);
  const given = evaluateMap(step.with, ctx);
  const unexpected = Object.keys(given).filter((n) => !(n in meta.inputs));
  // The runner only warns about these; actionlint (test/workflow/lint.test.ts) is what rejects them.
  if (unexpected.length)
    warn(
      `${uses}: Unexpected input(s) '${unexpected.join("', '")}', valid inputs are [${Object.keys(meta.inputs).join(', ')}]`,
    );
  for (const [name, value] of Object.entries(given)) out[key(name)] = value;
  return out;
}

async function runNode(
  meta: ActionMeta,
  which: 'main' | 'post',
  env: Record<string, string>,
  scope: JobScope,
  filesDir: string,
  timeoutMs: number,
  onLine: (l: string) => void,
): Promise<ProcessResult> {
  if (!/^node\d+$/.test(meta.runs.using))
    throw new Error(
      `${meta.dir}: runs.using ${meta.runs.using} is not supported by the local runner (node actions only)`,
    );
  const entry = meta.runs[which];
  if (!entry) throw new Error(`${meta.dir}: runs.${which} is missing`);
  const script = isAbsolute(entry) ? entry : resolve(meta.dir, entry);
  return runProcess({
    command: process.execPath,
    args: [script],
    cwd: scope.workspace,
    env,
    filesDir,
    timeoutMs,
    onLine,
  });
}
