// Provisioning over SSM Run Command: the agent's arrival, each script's run with its output streamed, sysprep.
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  SendCommandCommand,
  type GetCommandInvocationCommandOutput,
} from '@aws-sdk/client-ssm';
import { hasCode } from '../../aws/errors.js';
import { ActionFailure, describeError, withContext } from '../../core/errors.js';
import type { ActionContext } from '../../core/context.js';
import { seconds } from '../../core/summary.js';
import { printUntrusted } from '../../core/untrusted.js';
import { builderState } from './builder.js';
import type { Script } from '../lookup/provisioning.js';
import { Pace, pollPaced, type Schedule } from '../schedule.js';
import type { Platform } from '../lookup/source.js';

export const DOCUMENT: Record<Platform, string> = {
  linux: 'AWS-RunShellScript',
  windows: 'AWS-RunPowerShellScript',
};

/** EC2Launch v2 generalises the image and powers the instance off. */
export const WINDOWS_SYSPREP_SHUTDOWN =
  '& "$env:ProgramFiles\\Amazon\\EC2Launch\\ec2launch.exe" sysprep --shutdown';

export interface CommandWaitOptions {
  instanceId: string;
  deadline: number;
  schedule: Schedule;
}

/**
 * Waits until the SSM agent on the builder reports Online, first polling when the boot and the
 * agent's registration are expected to be over; fails early if the builder dies.
 */
export async function waitForAgent(
  ctx: ActionContext,
  o: CommandWaitOptions & { launchedAt: number },
): Promise<void> {
  const start = ctx.clock.now();
  const expected = o.launchedAt + o.schedule.expect.boot + o.schedule.expect.agent;
  await pollPaced(ctx, {
    phase: `waiting for the SSM agent on ${o.instanceId}`,
    pace: new Pace(o.schedule, ctx.clock, expected),
    deadline: o.deadline,
    onProgress: (p) =>
      ctx.log.info(`builder ${o.instanceId}: ${p}, ${seconds(ctx.clock.now() - start)} so far`),
    check: async () => {
      const { state } = await builderState(ctx, o.instanceId, (s) =>
        s !== 'pending' && s !== 'running' ? `is ${s} before provisioning` : undefined,
      );
      if (state !== 'running') return { done: false, progress: state };
      const info = await ctx.clients.ssm().send(
        new DescribeInstanceInformationCommand({
          Filters: [{ Key: 'InstanceIds', Values: [o.instanceId] }],
        }),
        { abortSignal: ctx.signal },
      );
      const ping = info.InstanceInformationList?.[0]?.PingStatus;
      if (ping === 'Online') return { done: true, value: undefined };
      return { done: false, progress: `running, SSM agent ${ping ?? 'not registered yet'}` };
    },
  });
}

/** Sends one command; returns its id. */
export async function sendCommand(
  ctx: ActionContext,
  o: { instanceId: string; platform: Platform; commands: string; comment: string; timeoutSeconds: number },
): Promise<string> {
  const out = await ctx.clients
    .ssm()
    .send(
      new SendCommandCommand({
        InstanceIds: [o.instanceId],
        DocumentName: DOCUMENT[o.platform],
        Comment: o.comment.slice(0, 100),
        Parameters: {
          commands: [o.commands],
          executionTimeout: [String(Math.min(172_800, Math.max(1, Math.floor(o.timeoutSeconds))))],
        },
      }),
    )
    .catch((err: unknown) => {
      throw withContext(`SendCommand ${DOCUMENT[o.platform]} to ${o.instanceId}`, err);
    });
  const id = out.Command?.CommandId;
  if (!id) throw new ActionFailure('SendCommand returned no command id');
  return id;
}

const TERMINAL_FAILURES = new Set([
  'Failed',
  'Cancelled',
  'TimedOut',
  'Undeliverable',
  'Terminated',
  'InvalidPlatform',
  'AccessDenied',
  'DeliveryTimedOut',
  'ExecutionTimedOut',
]);

/** Streams the text after what was already printed. SSM returns up to 24,000 characters. */
function streamer(print: (lines: string[]) => void): (text: string | undefined, final?: boolean) => void {
  let printed = '';
  let partial = '';
  return (text, final = false) => {
    const fresh = !text ? '' : text.startsWith(printed) ? text.slice(printed.length) : text;
    if (text) printed = text;
    const lines = (partial + fresh).split(/\r?\n/);
    partial = lines.pop() ?? '';
    // At the end, a last line without a newline is still output.
    if (final && partial) {
      lines.push(partial);
      partial = '';
    }
    print(lines);
  };
}

/**
 * Runs one provision script over Run Command and waits for it, streaming its output.
 * A non-zero exit (or any non-Success end) fails the bake with the script's last error lines.
 */
export async function runScript(
  ctx: ActionContext,
  o: CommandWaitOptions & {
    platform: Platform;
    script: Script;
    index: number;
    total: number;
    bakeId: string;
  },
): Promise<void> {
  const label = `${o.script.path} (${o.index + 1}/${o.total})`;
  const remaining = Math.max(1, (o.deadline - ctx.clock.now()) / 1000);
  const commandId = await sendCommand(ctx, {
    instanceId: o.instanceId,
    platform: o.platform,
    commands: o.script.content,
    comment: `bake-ami ${o.bakeId} ${o.script.path}`,
    timeoutSeconds: remaining,
  });
  ctx.log.info(`Running ${label} as ${DOCUMENT[o.platform]} command ${commandId}.`);
  // The script's output is the build's, not ours: it must not issue workflow commands.
  const stdout = streamer((lines) => printUntrusted(ctx.log, lines));
  let last: GetCommandInvocationCommandOutput | undefined;
  const start = ctx.clock.now();
  // How long a script runs cannot be expected: polled soon, then less often, up to the interval.
  await pollPaced(ctx, {
    phase: `running ${label}`,
    pace: new Pace(o.schedule, ctx.clock, start + o.schedule.shortMs),
    deadline: o.deadline,
    onTransient: (err) => ctx.log.info(`${label}: poll failed (${describeError(err)}), retrying`),
    onProgress: (p) => ctx.log.info(`${label}: ${p}, ${seconds(ctx.clock.now() - start)} so far`),
    check: async () => {
      try {
        last = await ctx.clients
          .ssm()
          .send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: o.instanceId }), {
            abortSignal: ctx.signal,
          });
      } catch (err) {
        // The invocation appears a moment after SendCommand returns.
        if (hasCode(err, 'InvocationDoesNotExist')) return { done: false, progress: 'not delivered yet' };
        throw err;
      }
      stdout(last.StandardOutputContent, isFinal(last.Status));
      const status = last.Status ?? 'Pending';
      if (status === 'Success') return { done: true, value: undefined };
      if (TERMINAL_FAILURES.has(status) || TERMINAL_FAILURES.has(last.StatusDetails ?? '')) {
        throw new ActionFailure(`provision script ${o.script.path} failed (${failureOf(last)}`);
      }
      return { done: false, progress: status };
    },
  });
}

/**
 * Reads a command's result and fails when it ended without success (a command that shuts the
 * builder down may never report one: not yet there, or still running, is no failure).
 */
export async function failIfCommandFailed(
  ctx: ActionContext,
  instanceId: string,
  commandId: string,
  what: string,
): Promise<void> {
  let i: GetCommandInvocationCommandOutput;
  try {
    i = await ctx.clients
      .ssm()
      .send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }), {
        abortSignal: ctx.signal,
      });
  } catch (err) {
    if (hasCode(err, 'InvocationDoesNotExist')) return;
    throw err;
  }
  if (TERMINAL_FAILURES.has(i.Status ?? '') || TERMINAL_FAILURES.has(i.StatusDetails ?? ''))
    throw new ActionFailure(`${what} failed on builder ${instanceId} (${failureOf(i)}`);
}

/** Run Command returns only the first 24,000 characters of stdout and 8,000 of stderr. */
const STDOUT_CHARS = 24_000;
const STDERR_CHARS = 8_000;

const lastLines = (text: string, n: number) => text.trim().split(/\r?\n/).slice(-n).join(' | ');

/**
 * Why an invocation failed, from the right end of its output: a script's error comes last, so the
 * last lines of stderr; when Run Command cut stderr (or, without stderr, stdout) at its limit, the
 * end is not in the response: that is said, with the last lines it did return.
 */
export function failureOf(i: GetCommandInvocationCommandOutput): string {
  const code =
    i.ResponseCode !== undefined && i.ResponseCode >= 0
      ? `exit code ${i.ResponseCode}`
      : `status ${i.Status ?? ''}`;
  const stderr = i.StandardErrorContent ?? '';
  const stdout = i.StandardOutputContent ?? '';
  const [text, limit, stream] = stderr.trim()
    ? [stderr, STDERR_CHARS, 'stderr']
    : [stdout, STDOUT_CHARS, 'stdout'];
  if (!text.trim()) return `${code})`;
  const cut =
    text.length >= limit
      ? `; Run Command returned only the first ${limit.toLocaleString('en-US')} characters of ${stream}, so its end (where the error is) is missing: send the output to S3 or CloudWatch Logs to read it; last lines returned`
      : '';
  return `${code}${cut}): ${lastLines(text, 5)}`;
}

/** Once the invocation has ended, its output is complete (a last line without newline included). */
const isFinal = (status: string | undefined) => status === 'Success' || TERMINAL_FAILURES.has(status ?? '');
