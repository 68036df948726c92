// One step process as the runner drives it: fresh command files (GITHUB_OUTPUT, GITHUB_ENV,
// GITHUB_PATH, GITHUB_STATE, GITHUB_STEP_SUMMARY), output streamed line by line, and on timeout or
// cancel the runner's sequence: SIGINT, SIGTERM 7.5 s later, SIGKILL 2.5 s after that.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCommands, parseKeyValueFile, type WorkflowCommands } from '../harness/workflow-commands.js';

export interface ProcessStep {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Directory for this step's command files. */
  filesDir: string;
  timeoutMs?: number;
  /** Each complete output line, as it arrives. */
  onLine?: (line: string) => void;
}

export interface ProcessResult extends WorkflowCommands {
  exitCode: number | null;
  killedBy: NodeJS.Signals | null;
  timedOut: boolean;
  outputs: Record<string, string>;
  state: Record<string, string>;
  exportedEnv: Record<string, string>;
  /** Directories the step added with GITHUB_PATH, in the order written. */
  path: string[];
  summary: string;
  log: string;
}

export async function runProcess(p: ProcessStep): Promise<ProcessResult> {
  mkdirSync(p.filesDir, { recursive: true });
  const files = {
    GITHUB_OUTPUT: join(p.filesDir, 'output'),
    GITHUB_STATE: join(p.filesDir, 'state'),
    GITHUB_ENV: join(p.filesDir, 'env'),
    GITHUB_PATH: join(p.filesDir, 'path'),
    GITHUB_STEP_SUMMARY: join(p.filesDir, 'summary.md'),
  };
  for (const f of Object.values(files)) writeFileSync(f, '');
  // Its own process group, so a signal reaches what a script started too (sleep, packer, aws).
  const child = spawn(p.command, p.args, {
    cwd: p.cwd,
    env: { ...p.env, ...files },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const signal = (sig: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, sig);
    } catch {
      // already gone
    }
  };
  let stdout = '';
  let log = '';
  const pending = { out: '', err: '' };
  const feed = (which: 'out' | 'err', d: string) => {
    log += d;
    if (which === 'out') stdout += d;
    pending[which] += d;
    const lines = pending[which].split('\n');
    pending[which] = lines.pop() ?? '';
    for (const line of lines) p.onLine?.(line);
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => feed('out', d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => feed('err', d));
  const timers: NodeJS.Timeout[] = [];
  let timedOut = false;
  if (p.timeoutMs !== undefined) {
    timers.push(
      setTimeout(() => {
        timedOut = true;
        signal('SIGINT');
        timers.push(setTimeout(() => signal('SIGTERM'), 7500));
        timers.push(setTimeout(() => signal('SIGKILL'), 10_000));
      }, p.timeoutMs),
    );
  }
  const [exitCode, killedBy] = await new Promise<[number | null, NodeJS.Signals | null]>(
    (resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve([code, signal]));
    },
  );
  for (const t of timers) clearTimeout(t);
  for (const rest of [pending.out, pending.err]) if (rest) p.onLine?.(rest);
  const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '');
  return {
    exitCode,
    killedBy,
    timedOut,
    outputs: parseKeyValueFile(read(files.GITHUB_OUTPUT)),
    state: parseKeyValueFile(read(files.GITHUB_STATE)),
    exportedEnv: parseKeyValueFile(read(files.GITHUB_ENV)),
    path: read(files.GITHUB_PATH)
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
    summary: read(files.GITHUB_STEP_SUMMARY),
    log,
    ...parseCommands(stdout),
  };
}
