// What the builder's console output proves: failure lines as soon as AWS shows them, and success only from output read after the stop.
import { GetConsoleOutputCommand } from '@aws-sdk/client-ec2';
import { hasCode, isTransient } from '../../aws/errors.js';
import { describeError } from '../../core/errors.js';
import type { ActionContext } from '../../core/context.js';
import { printUntrusted } from '../../core/untrusted.js';

/** The line image scripts print last, just before they shut down, to prove the build succeeded. */
export const SUCCESS_MARKER = 'BAKE-SUCCEEDED';

/**
 * Lines that mean the user data failed although it printed no marker, as cloud-init's console
 * handler prints them (WARNING and above; test/localcloud/FIDELITY.md cites the source): the
 * module's failure, named `scripts_user` since 23.3 and `scripts-user` before; the module runner's
 * report of it; up to 20.2 also each failing part. On Windows, EC2Launch's report.
 */
const FAILURE_LINES = [
  /Failed to run module scripts[-_]user\b/,
  /\[WARNING\]: Running module scripts[-_]user\b.* failed/,
  /util\.py\[WARNING\]: Failed running \S*scripts\S*/,
  /User data script failed/i,
];

/** cloud-init's final message: the user data has ended (cc_final_message's default). */
const CLOUD_INIT_FINISHED = /Cloud-init v\. \S+ finished at /;

export interface ConsoleRead {
  text: string;
  /** When AWS last updated what it returned (GetConsoleOutput Timestamp), clock ms. */
  at: number;
  latest: boolean;
}

/**
 * Follows the builder's console. GetConsoleOutput "returns buffered information that was posted
 * shortly after an instance transition state (start, stop, reboot, or terminate)"; the latest
 * output "is supported on instance types that use the Nitro hypervisor". So it asks for the latest
 * output and, when the type refuses it, reads the buffered post instead.
 */
export class ConsoleWatch {
  private seen = '';
  private latest = true;
  private disabled = false;

  constructor(
    private readonly ctx: ActionContext,
    private readonly instanceId: string,
    private readonly failureMarker: string,
  ) {}

  get readsLatest(): boolean {
    return this.latest;
  }

  async read(): Promise<ConsoleRead | undefined> {
    if (this.disabled) return undefined;
    const ec2 = this.ctx.clients.ec2();
    try {
      const out = await ec2.send(
        new GetConsoleOutputCommand({
          InstanceId: this.instanceId,
          ...(this.latest ? { Latest: true } : {}),
        }),
        { abortSignal: this.ctx.signal },
      );
      const text = out.Output ? Buffer.from(out.Output, 'base64').toString('utf8') : '';
      this.print(text);
      return { text, at: out.Timestamp?.getTime() ?? 0, latest: this.latest };
    } catch (err) {
      if (this.ctx.signal.aborted || isTransient(err)) throw err;
      if (this.latest && !hasCode(err, 'UnauthorizedOperation', 'AccessDenied')) {
        this.latest = false;
        this.ctx.log.info(
          `The builder's type gives no latest console output (${describeError(err)}): reading the output AWS posts at each state change.`,
        );
        return this.read();
      }
      this.disabled = true;
      this.ctx.log.warning(
        `Cannot read the builder's console output (${describeError(err)}); failure detection from the console is off.`,
      );
      return undefined;
    }
  }

  /** The line showing that the build failed: the failure marker, or cloud-init's/EC2Launch's report. */
  failure(text: string): string | undefined {
    const lines = text.split(/\r?\n/);
    return (
      lines.find((line) => line.includes(this.failureMarker)) ??
      lines.find((line) => FAILURE_LINES.some((re) => re.test(line)))
    );
  }

  /** cloud-init's line saying it finished (the user data ended), when the console shows it. */
  finished(text: string): string | undefined {
    return text.split(/\r?\n/).find((line) => CLOUD_INIT_FINISHED.test(line));
  }

  // AWS keeps the last 64 KiB: when the start scrolled away, print what we cannot match.
  private print(text: string): void {
    const fresh = text.startsWith(this.seen) ? text.slice(this.seen.length) : text;
    this.seen = text;
    // The console shows what the build printed: it must not issue workflow commands.
    printUntrusted(
      this.ctx.log,
      fresh
        .split(/\r?\n/)
        .filter((line) => line.trim())
        .map((line) => `console: ${line}`),
    );
  }
}
