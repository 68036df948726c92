// Runs a program (packer) line by line with cancellation forwarded; injected so tests need no real Packer.
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { packerEnvironment } from './packer-env.js';

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
      graceMs: number;
      timeoutMs: number;
    },
  ): Promise<{ exitCode: number; signalled: boolean; timedOut: boolean }>;
}

/**
 * A ProcessRunner over node:child_process. @actions/exec cannot signal the child it starts, and
 * forwarding the runner's SIGINT is what lets Packer clean up its own builder; hence spawn.
 */
export function childProcessRunner(pathEnv: string | undefined): ProcessRunner {
  return {
    async which(program) {
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
    },
    run(program, args, o) {
      return new Promise((resolve, reject) => {
        const child = spawn(program, args, {
          cwd: o.cwd,
          env: packerEnvironment(process.env),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let signalled = false;
        let timedOut = false;
        let escalate: NodeJS.Timeout | undefined;
        const onAbort = () => {
          if (signalled) return;
          signalled = true;
          // SIGINT lets Packer run its cleanup (terminate the instance, delete the key pair).
          child.kill('SIGINT');
          escalate = setTimeout(() => child.kill('SIGTERM'), o.graceMs);
        };
        // The process runs in real time, so its time limit is a real timer too.
        const limit = setTimeout(() => {
          timedOut = true;
          onAbort();
        }, o.timeoutMs);
        if (o.signal.aborted) onAbort();
        else o.signal.addEventListener('abort', onAbort, { once: true });
        for (const stream of [child.stdout, child.stderr])
          createInterface({ input: stream }).on('line', o.onLine);
        child.on('error', (err) => {
          clearTimeout(limit);
          o.signal.removeEventListener('abort', onAbort);
          reject(err);
        });
        child.on('close', (code) => {
          o.signal.removeEventListener('abort', onAbort);
          clearTimeout(limit);
          if (escalate) clearTimeout(escalate);
          resolve({ exitCode: code ?? 1, signalled, timedOut });
        });
      });
    },
  };
}
