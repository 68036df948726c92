// runAction/runPost: the one error boundary per entry: inputs, clients, cancellation, outputs, summary.
import * as core from '@actions/core';
import { createAwsClients, type AwsClients, type AwsServices } from '../aws/clients.js';
import { systemClock, type Clock } from './clock.js';
import { AbortedError, ConfigurationError, describeError, SummarizedFailure } from './errors.js';
import { envInputSource, parseInputs, type ActionSpec, type Fields, type Inputs } from './inputs.js';
import type { Log } from './log.js';

/** What every capability function receives. */
export interface ActionContext {
  clients: AwsClients;
  clock: Clock;
  log: Log;
  signal: AbortSignal;
}

/** The runner-facing side an entry may touch: outputs, summary, state. */
export interface StepIO {
  env(name: string): string | undefined;
  setOutputs(outputs: Record<string, string | number | boolean | object | undefined>): void;
  summary(markdown: string): Promise<void>;
  saveState(name: string, value: string): void;
  getState(name: string): string;
}

export const actionsLog: Log = {
  info: (m) => core.info(m),
  warning: (m) => core.warning(m),
  debug: (m) => core.debug(m),
  group: (name, fn) => core.group(name, fn),
  secret: (v) => {
    if (v) core.setSecret(v);
  },
};

const isDebug = (env: NodeJS.ProcessEnv) => core.isDebug() || env.ACTIONS_STEP_DEBUG === 'true';

function stepIO(spec: ActionSpec<Fields>, env: NodeJS.ProcessEnv): StepIO {
  return {
    env: (name) => env[name],
    setOutputs(outputs) {
      for (const [name, value] of Object.entries(outputs)) {
        if (!Object.hasOwn(spec.outputs, name))
          throw new Error(`bug: output ${name} is not declared for ${spec.name}`);
        if (value === undefined) continue;
        core.setOutput(name, typeof value === 'object' ? JSON.stringify(value) : String(value));
      }
    },
    async summary(markdown) {
      if (!env.GITHUB_STEP_SUMMARY) return;
      await core.summary.addRaw(markdown, true).write();
    },
    saveState: (name, value) => core.saveState(name, value),
    getState: (name) => core.getState(name),
  };
}

/** Aborts on the runner's cancellation signals (SIGINT, then SIGTERM 7.5 s later). */
function cancellation(log: Log): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (!controller.signal.aborted) log.warning(`Received ${sig}: cancelling and cleaning up.`);
    controller.abort(new AbortedError(`cancelled by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

function regionOf(inputs: object, env: NodeJS.ProcessEnv): string {
  const r = (inputs as { region?: string }).region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!r) throw new ConfigurationError(['region: is required (or set AWS_REGION)']);
  return r;
}

async function fail(
  spec: ActionSpec<Fields>,
  io: StepIO,
  err: unknown,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const line = describeError(err);
  core.setFailed(line);
  if (isDebug(env) && err instanceof Error && err.stack) core.debug(err.stack);
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : undefined;
  if (isDebug(env) && cause?.stack) core.debug(`caused by: ${cause.stack}`);
  const heading =
    err instanceof ConfigurationError
      ? 'invalid inputs'
      : err instanceof AbortedError
        ? 'cancelled'
        : 'failed';
  if (err instanceof SummarizedFailure) return;
  await io.summary(`### ❌ ${spec.name}: ${heading}\n\n\`\`\`\n${line}\n\`\`\`\n`).catch(() => undefined);
}

/**
 * The one error boundary of an entry: parse inputs (all problems at once, before any AWS
 * call), build the context, run, and report any failure in one line with AWS's code and request id.
 * `services` are the SDK client classes the action uses: only those are bundled and loaded.
 */
export async function runAction<F extends Fields>(
  spec: ActionSpec<F>,
  services: AwsServices,
  main: (inputs: Inputs<F>, ctx: ActionContext, io: StepIO) => Promise<void>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const io = stepIO(spec as ActionSpec<Fields>, env);
  const cancel = cancellation(actionsLog);
  let clients: AwsClients | undefined;
  try {
    const inputs = parseInputs(spec, envInputSource(env));
    for (const [name, f] of Object.entries(spec.inputs)) {
      const value = (inputs as Record<string, unknown>)[
        name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())
      ];
      if (f.secret && typeof value === 'string') actionsLog.secret(value);
    }
    clients = createAwsClients({
      region: regionOf(inputs, env),
      action: spec.name,
      services,
      retryModeFromEnv: Boolean(env.AWS_RETRY_MODE),
    });
    await main(inputs, { clients, clock: systemClock, log: actionsLog, signal: cancel.signal }, io);
  } catch (err) {
    await fail(spec as ActionSpec<Fields>, io, err, env);
  } finally {
    cancel.dispose();
    clients?.destroy();
  }
}

/**
 * The post step's boundary: inputs are available again; state saved by main says what to clean.
 * Invalid inputs mean main created nothing, so post has nothing to do.
 */
export async function runPost<F extends Fields>(
  spec: ActionSpec<F>,
  services: AwsServices,
  post: (inputs: Inputs<F>, ctx: ActionContext, io: StepIO) => Promise<void>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const io = stepIO(spec as ActionSpec<Fields>, env);
  let inputs: Inputs<F>;
  let region: string;
  try {
    inputs = parseInputs(spec, envInputSource(env));
    region = regionOf(inputs, env);
  } catch {
    return;
  }
  const cancel = cancellation(actionsLog);
  const clients = createAwsClients({
    region,
    action: spec.name,
    services,
    retryModeFromEnv: Boolean(env.AWS_RETRY_MODE),
  });
  try {
    await post(inputs, { clients, clock: systemClock, log: actionsLog, signal: cancel.signal }, io);
  } catch (err) {
    await fail(spec as ActionSpec<Fields>, io, err, env);
  } finally {
    cancel.dispose();
    clients.destroy();
  }
}
