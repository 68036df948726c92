// Runs a built action the way the GitHub runner does: INPUT_* (with action.yml defaults),
// command files, RUNNER_TEMP, SIGINT → SIGTERM → SIGKILL on cancel, then the post step with STATE_*.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadAction, type ActionMetadata } from './action-metadata.js';
import { parseCommands, parseKeyValueFile, type WorkflowCommands } from './workflow-commands.js';

export interface StepRun extends WorkflowCommands {
  exitCode: number | null;
  /** The signal that ended the process, when it did not exit by itself. */
  killedBy: NodeJS.Signals | null;
  outputs: Record<string, string>;
  state: Record<string, string>;
  /** Variables the step exported through GITHUB_ENV. */
  exportedEnv: Record<string, string>;
  summary: string;
  /** stdout and stderr interleaved, raw (the runner would mask registered secrets; tests look at the raw text). */
  log: string;
  stdout: string;
  stderr: string;
  /** What the runner itself would warn about (undeclared inputs). */
  runnerWarnings: string[];
}

export interface ActionRun extends StepRun {
  post?: StepRun;
}

export interface CancelPlan {
  /** Send SIGINT this long after the step started… */
  afterMs?: number;
  /** …or as soon as the step prints a line matching this… */
  whenOutput?: RegExp;
  /** …or when this settles (e.g. localcloud's `faults.arrived(id)`: a held call is in flight). */
  when?: Promise<unknown>;
  /** Runner: SIGTERM 7.5 s after SIGINT, SIGKILL 2.5 s after that. Tests may shorten. */
  sigtermAfterMs?: number;
  killAfterMs?: number;
  /** A job killed outright (runner lost): SIGKILL instead of SIGINT, so nothing cleans up. */
  firstSignal?: 'SIGINT' | 'SIGKILL';
}

export interface RunOptions {
  inputs?: Record<string, string | number | boolean>;
  env?: Record<string, string | undefined>;
  cancel?: CancelPlan;
  /** Run the post step when action.yml declares one (default true, as the runner's post-if: always()). */
  post?: boolean;
  /** Called after the main step ends and before the post step starts (only when one will run). */
  beforePost?: (main: StepRun) => Promise<void>;
  /** Hard bound on each step (default 180 s); past it the step is killed and the run throws. */
  timeoutMs?: number;
  /** Reuse a workspace/temp dir (e.g. to read files the step wrote). */
  workdir?: string;
}

/** Environment for AWS SDK clients aimed at localcloud, with dummy credentials. */
/** localcloud's default durations over AWS's (boot 0.3 s for 30 s, imaging 0.8 s for 180 s). */
export const LOCALCLOUD_TIME_SCALE = '0.005';

export function localcloudEnv(url: string, region = 'us-east-1'): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: url,
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: 'AKIALOCALCLOUD000000',
    AWS_SECRET_ACCESS_KEY: 'localcloud-secret-key-do-not-use-000000',
    AWS_EC2_METADATA_DISABLED: 'true',
    // localcloud tells bake-ami its time scale: its default durations are about 1/200 of AWS's.
    GOLDEN_AMI_TIME_SCALE: LOCALCLOUD_TIME_SCALE,
  };
}

/** Only what a hosted runner would have: no AWS settings leak in from the developer's shell. */
function baseEnv(workdir: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? workdir,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: 'example/golden-ami',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_WORKFLOW: 'release',
    GITHUB_JOB: 'test',
    GITHUB_WORKSPACE: workdir,
    RUNNER_OS: 'Linux',
    RUNNER_TEMP: join(workdir, '_temp'),
  };
}

function inputEnv(
  meta: ActionMetadata,
  given: RunOptions['inputs'],
  warnings: string[],
): Record<string, string> {
  const env: Record<string, string> = {};
  const key = (name: string) => `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
  for (const [name, spec] of Object.entries(meta.inputs)) {
    if (spec.default !== undefined) {
      const d = String(spec.default);
      if (d.includes('${{'))
        throw new Error(`${meta.file}: input ${name} has an expression default the harness cannot evaluate`);
      env[key(name)] = d;
    }
  }
  for (const [name, value] of Object.entries(given ?? {})) {
    if (!(name in meta.inputs))
      warnings.push(
        `Unexpected input(s) '${name}', valid inputs are [${Object.keys(meta.inputs).join(', ')}]`,
      );
    env[key(name)] = String(value);
  }
  return env;
}

async function runStep(
  script: string,
  env: Record<string, string>,
  workdir: string,
  files: { output: string; state: string; env: string; summary: string },
  cancel: CancelPlan | undefined,
  timeoutMs: number,
): Promise<Omit<StepRun, 'runnerWarnings'>> {
  for (const f of Object.values(files)) writeFileSync(f, '');
  const child = spawn(process.execPath, [script], {
    cwd: workdir,
    env: {
      ...env,
      GITHUB_OUTPUT: files.output,
      GITHUB_STATE: files.state,
      GITHUB_ENV: files.env,
      GITHUB_STEP_SUMMARY: files.summary,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let log = '';
  const timers: NodeJS.Timeout[] = [];
  let cancelled = false;
  const startCancel = () => {
    if (cancelled) return;
    cancelled = true;
    child.kill(cancel?.firstSignal ?? 'SIGINT');
    const term = cancel?.sigtermAfterMs ?? 7500;
    const kill = cancel?.killAfterMs ?? 2500;
    timers.push(setTimeout(() => child.kill('SIGTERM'), term));
    timers.push(setTimeout(() => child.kill('SIGKILL'), term + kill));
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    log += d;
    if (cancel?.whenOutput && cancel.whenOutput.test(stdout)) startCancel();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    log += d;
  });
  if (cancel?.afterMs !== undefined) timers.push(setTimeout(startCancel, cancel.afterMs));
  let exited = false;
  cancel?.when?.then(
    () => !exited && startCancel(),
    () => {},
  );
  let timedOut = false;
  timers.push(
    setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs),
  );
  const [exitCode, killedBy] = await new Promise<[number | null, NodeJS.Signals | null]>((res) =>
    child.on('close', (code, signal) => res([code, signal])),
  );
  exited = true;
  for (const t of timers) clearTimeout(t);
  if (timedOut) throw new Error(`step ${script} did not finish within ${timeoutMs} ms; log:\n${log}`);
  const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '');
  const commands = parseCommands(stdout);
  return {
    exitCode,
    killedBy,
    outputs: parseKeyValueFile(read(files.output)),
    // The runner applies GITHUB_STATE after the step, so the file wins over stdout commands.
    state: { ...commands.stdoutState, ...parseKeyValueFile(read(files.state)) },
    exportedEnv: parseKeyValueFile(read(files.env)),
    summary: read(files.summary),
    log,
    stdout,
    stderr,
    ...commands,
  };
}

/** Runs `actions/<action>` (or the root `deploy-ami`) from its built dist/ bundle, then its post step. */
export async function runActionStep(action: string, opts: RunOptions = {}): Promise<ActionRun> {
  const meta = loadAction(action);
  if (!meta.runs.main) throw new Error(`${meta.file}: runs.main is missing`);
  const workdir = opts.workdir ?? mkdtempSync(join(tmpdir(), `gaa-${action}-`));
  mkdirSync(join(workdir, '_temp'), { recursive: true });
  const runnerWarnings: string[] = [];
  const env: Record<string, string> = { ...baseEnv(workdir), ...inputEnv(meta, opts.inputs, runnerWarnings) };
  for (const [k, v] of Object.entries(opts.env ?? {})) if (v !== undefined) env[k] = v;
  // The runner turns the ACTIONS_STEP_DEBUG secret into RUNNER_DEBUG=1 for the step.
  if (env.ACTIONS_STEP_DEBUG === 'true') env.RUNNER_DEBUG = '1';
  const files = (tag: string) => ({
    output: join(workdir, '_temp', `${tag}-output`),
    state: join(workdir, '_temp', `${tag}-state`),
    env: join(workdir, '_temp', `${tag}-env`),
    summary: join(workdir, '_temp', `${tag}-summary.md`),
  });
  const timeoutMs = opts.timeoutMs ?? 180_000;
  try {
    const main = await runStep(
      resolve(meta.dir, meta.runs.main),
      env,
      workdir,
      files('main'),
      opts.cancel,
      timeoutMs,
    );
    const result: ActionRun = { ...main, runnerWarnings };
    if (meta.runs.post && opts.post !== false) {
      await opts.beforePost?.(result);
      const stateEnv: Record<string, string> = {};
      for (const [k, v] of Object.entries(main.state)) stateEnv[`STATE_${k}`] = v;
      const post = await runStep(
        resolve(meta.dir, meta.runs.post),
        { ...env, ...stateEnv },
        workdir,
        files('post'),
        undefined,
        timeoutMs,
      );
      result.post = { ...post, runnerWarnings: [] };
    }
    return result;
  } finally {
    if (!opts.workdir) rmSync(workdir, { recursive: true, force: true });
  }
}
