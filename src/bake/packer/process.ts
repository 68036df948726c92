// Runs a program (packer) line by line with cancellation forwarded; injected so tests need no real Packer.
import { spawn } from 'node:child_process';
import {
  closeSync,
  constants,
  fstatSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { packerEnvironment } from './env.js';

/** Runs a program, line by line, forwarding cancellation; injected so tests need no real Packer. */
export interface ProcessRunner {
  /** The program's full path on PATH, or undefined when it is not installed. */
  which(program: string): Promise<string | undefined>;
  run(
    program: string,
    args: readonly string[],
    o: {
      cwd: string;
      signal: AbortSignal;
      onLine: (line: string) => void;
      /** The process's id (and its process group's) once it started. */
      onStart?: (pid: number) => void;
      /** After the interrupt: how long to wait for it to end (cancelled: then leave it running). */
      graceMs: number;
      timeoutMs: number;
    },
  ): Promise<{ exitCode: number; signalled: boolean; timedOut: boolean; stillRunning?: boolean }>;
}

/**
 * A step the runner kills outright (a lost runner, or SIGKILL before SIGINT) leaves Packer
 * running in its own group with no one to stop it: this watch, in a group of its own too,
 * interrupts Packer (SIGINT, so it cleans up as on Ctrl-C) once this process is gone, unless the
 * step already did; it ends when Packer does.
 */
function watchStep(packerPid: number, interrupted: string): void {
  const script = [
    'while kill -0 "$STEP" 2>/dev/null && kill -0 "$PACKER" 2>/dev/null; do sleep 1; done',
    'if kill -0 "$PACKER" 2>/dev/null && [ ! -e "$INTERRUPTED" ]; then kill -INT "-$PACKER"; fi',
  ].join('\n');
  const watch = spawn('/bin/sh', ['-c', script], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      STEP: String(process.pid),
      PACKER: String(packerPid),
      INTERRUPTED: interrupted,
    },
    stdio: 'ignore',
    detached: true,
  });
  watch.on('error', () => undefined);
  watch.unref();
}

/** A bake out of time gives Packer this long to clean up before its group is killed. */
const TIMED_OUT_CLEANUP_MS = 120_000;

/** Whole lines appended to a file since the last read; the rest waits for its newline. */
function lineReader(path: string, onLine: (line: string) => void): { drain(final: boolean): void } {
  let offset = 0;
  let partial = '';
  return {
    drain(final) {
      const fd = openSync(path, 'r');
      try {
        const size = fstatSync(fd).size;
        if (size > offset) {
          const buf = Buffer.alloc(size - offset);
          offset += readSync(fd, buf, 0, buf.length, offset);
          partial += buf.toString('utf8');
        }
      } finally {
        closeSync(fd);
      }
      const lines = partial.split(/\r?\n/);
      partial = lines.pop() ?? '';
      if (final && partial) lines.push(partial);
      for (const line of lines) onLine(line);
    },
  };
}

async function findOnPath(pathEnv: string | undefined, program: string): Promise<string | undefined> {
  for (const dir of (pathEnv ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, program);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * A ProcessRunner over node:child_process. Packer runs in its own process group, writing to a
 * file rather than a pipe: when the runner kills this step, Packer is neither signalled with it
 * nor killed by a broken pipe, so it finishes the cleanup it began on SIGINT (the post step then
 * waits for it). It is interrupted once, with SIGINT to its group, as a terminal's Ctrl-C does:
 * Packer 1.6 panics on SIGTERM. A bake that ran out of time kills the group after `graceMs`.
 */
export function childProcessRunner(pathEnv: string | undefined): ProcessRunner {
  return {
    which: (program) => findOnPath(pathEnv, program),
    run(program, args, o) {
      return new Promise((resolve, reject) => {
        const dir = mkdtempSync(join(process.env.RUNNER_TEMP || tmpdir(), 'bake-ami-packer-'));
        const logPath = join(dir, 'packer.log');
        const out = openSync(logPath, 'a');
        const child = spawn(program, args, {
          cwd: o.cwd,
          env: packerEnvironment(process.env),
          stdio: ['ignore', out, out],
          detached: true,
        });
        closeSync(out);
        const interrupted = join(dir, 'interrupted');
        if (child.pid) watchStep(child.pid, interrupted);
        const reader = lineReader(logPath, o.onLine);
        const follow = setInterval(() => reader.drain(false), 100);
        let signalled = false;
        let timedOut = false;
        let giveUp: NodeJS.Timeout | undefined;
        const group = (sig: NodeJS.Signals) => {
          try {
            if (child.pid) process.kill(-child.pid, sig);
          } catch {
            child.kill(sig);
          }
        };
        let ended = false;
        const stop = (result: { exitCode: number; stillRunning?: boolean }) => {
          if (ended) return;
          ended = true;
          o.signal.removeEventListener('abort', onAbort);
          clearTimeout(limit);
          clearInterval(follow);
          if (giveUp) clearTimeout(giveUp);
          reader.drain(true);
          resolve({ ...result, signalled, timedOut });
        };
        const onAbort = () => {
          if (signalled) return;
          signalled = true;
          // Tells the watch Packer has had its interrupt: one only, a second would cut its cleanup.
          writeFileSync(interrupted, '');
          group('SIGINT');
          giveUp = setTimeout(
            () => {
              // Out of time: nothing will wait for it. Cancelled: the step is about to be killed, Packer
              // goes on cleaning up and the post step waits for it.
              if (timedOut) group('SIGKILL');
              else stop({ exitCode: 1, stillRunning: true });
            },
            timedOut ? TIMED_OUT_CLEANUP_MS : o.graceMs,
          );
        };
        // The process runs in real time, so its time limit is a real timer too.
        const limit = setTimeout(() => {
          timedOut = true;
          onAbort();
        }, o.timeoutMs);
        if (child.pid) o.onStart?.(child.pid);
        if (o.signal.aborted) onAbort();
        else o.signal.addEventListener('abort', onAbort, { once: true });
        child.on('error', (err) => {
          stop({ exitCode: 1 });
          reject(err);
        });
        child.on('close', (code) => {
          stop({ exitCode: code ?? 1 });
          // The watch ends by itself once Packer is gone.
          rmSync(dir, { recursive: true, force: true });
        });
      });
    },
  };
}
