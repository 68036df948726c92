// The `packer build` command: finding packer, its arguments, running it and reading the AMIs it built.
import { AbortedError, ActionFailure, ConfigurationError, TimeoutError } from '../../core/errors.js';
import type { ActionContext } from '../../core/context.js';
import { printUntrusted } from '../../core/untrusted.js';
import { artifactAmis, displayText, parseMachineLine } from './output.js';
import type { ProcessRunner } from './process.js';
import type { PackerTracker } from './resources.js';

export interface PackerOptions {
  packerPath: string;
  templatePath: string;
  /** Every variable, ours included (packerVariables). */
  vars: Record<string, string>;
  region: string;
  workingDirectory: string;
  /** Clock ms after which Packer is interrupted (timeout). */
  deadline: number;
  runner: ProcessRunner;
  /** Saves what Packer makes as it announces it. */
  tracker?: PackerTracker;
}

/**
 * After SIGINT on cancellation: how long this step waits for Packer's own cleanup. The runner
 * sends SIGKILL 10 s after its SIGINT; Packer, in its own process group, goes on after that.
 */
const CANCEL_WAIT_MS = 8_000;

/** Finds packer on PATH before any AWS call, so a missing binary is an input problem. */
export async function locatePacker(runner: ProcessRunner): Promise<string> {
  const path = await runner.which('packer');
  if (!path)
    throw new ConfigurationError([
      'engine: packer needs the packer binary on PATH, and it was not found; install it first (for example with hashicorp/setup-packer) or use engine: native',
    ]);
  return path;
}

/** `packer build` with every variable (packer-vars.ts decides which) and the template. */
export function packerArgs(o: Pick<PackerOptions, 'templatePath' | 'vars'>): string[] {
  return [
    'build',
    '-machine-readable',
    ...Object.entries(o.vars).flatMap(([k, v]) => ['-var', `${k}=${v}`]),
    o.templatePath,
  ];
}

/**
 * Runs `packer build -machine-readable`, printing what Packer says, collecting the artifact's
 * AMI ids, and interrupting Packer (so it cleans up) on cancellation or when the bake's time is up.
 */
export async function runPacker(ctx: ActionContext, o: PackerOptions): Promise<Record<string, string>> {
  const amis: Record<string, string> = {};
  const errors: string[] = [];
  const { exitCode, timedOut, stillRunning } = await o.runner.run(o.packerPath, packerArgs(o), {
    cwd: o.workingDirectory,
    signal: ctx.signal,
    graceMs: CANCEL_WAIT_MS,
    timeoutMs: Math.max(0, o.deadline - ctx.clock.now()),
    onStart: (pid) => o.tracker?.started(pid),
    onLine: (line) => {
      // Packer prints what the build prints: none of it may issue workflow commands.
      const m = parseMachineLine(line);
      if (!m) {
        printUntrusted(ctx.log, [line]);
        return;
      }
      const text = displayText(m);
      if (text !== undefined) {
        printUntrusted(ctx.log, text.split('\n'));
        if (m.data[0] === 'error') errors.push(text.trim());
      }
      Object.assign(amis, artifactAmis(m) ?? {});
      o.tracker?.line(m);
    },
  });
  await o.tracker?.settled();
  if (stillRunning)
    ctx.log.warning(
      'Packer is still cleaning up after the interrupt; it goes on in its own process group and the post step waits for it, then removes what it left.',
    );
  else o.tracker?.ended();
  if (ctx.signal.aborted)
    throw new AbortedError('cancelled while packer build ran (Packer was interrupted to clean up)');
  if (timedOut)
    throw new TimeoutError(
      'packer',
      'packer build did not finish in time (Packer was interrupted to clean up)',
    );
  if (exitCode !== 0) {
    const why = errors.length ? `: ${errors.slice(-3).join(' | ').replace(/\s+/g, ' ').slice(0, 500)}` : '';
    throw new ActionFailure(`packer build exited with code ${exitCode}${why}`);
  }
  if (!amis[o.region])
    throw new ActionFailure(
      `packer build succeeded but reported no AMI in ${o.region} (artifact ids: ${JSON.stringify(amis)}); the template must build in the bake region`,
    );
  return amis;
}
