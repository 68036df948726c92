// `packer init`: installs the plugins an HCL template's required_plugins block names, before the build.
import { AbortedError, ActionFailure, TimeoutError } from '../../core/errors.js';
import type { ActionContext } from '../../core/context.js';
import { printUntrusted } from '../../core/untrusted.js';
import type { ProcessRunner } from './process.js';

/** Runs `packer init <template>` where the build will run; its output is untrusted like the build's. */
export async function packerInit(
  ctx: ActionContext,
  o: {
    packerPath: string;
    templatePath: string;
    workingDirectory: string;
    deadline: number;
    runner: ProcessRunner;
  },
): Promise<void> {
  const last: string[] = [];
  const { exitCode, timedOut } = await o.runner.run(o.packerPath, ['init', o.templatePath], {
    cwd: o.workingDirectory,
    signal: ctx.signal,
    graceMs: 7_000,
    timeoutMs: Math.max(0, o.deadline - ctx.clock.now()),
    onLine: (line) => {
      printUntrusted(ctx.log, [line]);
      if (line.trim()) last.push(line.trim());
      if (last.length > 3) last.shift();
    },
  });
  if (ctx.signal.aborted) throw new AbortedError('cancelled while packer init ran');
  if (timedOut) throw new TimeoutError('packer', 'packer init did not finish in time');
  if (exitCode !== 0)
    throw new ActionFailure(
      `packer init ${o.templatePath} exited with code ${exitCode}${last.length ? `: ${last.join(' | ').slice(0, 500)}` : ''}`,
    );
}
