// runCapability/runPost: the one error boundary per step: inputs, clients, cancellation, outputs, summary.
import * as core from '@actions/core';
import type { Capability } from './capability.js';
import { systemClock } from './clock.js';
import type { ActionContext, ClientFactory, StepIO, StepOutputs } from './context.js';
import { AbortedError, ConfigurationError, describeError, PartialFailure } from './errors.js';
import { camel, envInputSource, parseInputs, type ActionSpec, type Fields, type Inputs } from './inputs.js';
import type { Log } from './log.js';
import { commandSafe } from './untrusted.js';

export const actionsLog: Log = {
  info: commandSafe((m) => core.info(m)),
  warning: (m) => core.warning(m),
  debug: (m) => core.debug(m),
  group: (name, fn) => core.group(name, fn),
  secret: (v) => {
    if (v) core.setSecret(v);
  },
};

const isDebug = (env: NodeJS.ProcessEnv) => core.isDebug() || env.ACTIONS_STEP_DEBUG === 'true';

/**
 * The runner hands a step its inputs as INPUT_<NAME> environment variables, and Linux takes at most
 * 128 KiB for one (MAX_ARG_STRLEN, name included: the spawn fails with E2BIG); 64 bytes for the name.
 */
const LARGEST_INPUT_BYTES = 131_072 - 64;

function stepIO(spec: ActionSpec<Fields>, env: NodeJS.ProcessEnv): StepIO {
  return {
    env: (name) => env[name],
    setOutputs(outputs) {
      for (const [name, value] of Object.entries(outputs)) {
        if (!Object.hasOwn(spec.outputs, name))
          throw new Error(`bug: output ${name} is not declared for ${spec.name}`);
        if (value === undefined) continue;
        const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
        core.setOutput(name, text);
        const bytes = Buffer.byteLength(text);
        if (bytes > LARGEST_INPUT_BYTES)
          core.warning(
            `output ${name} is ${(bytes / 1024).toFixed(0)} KiB: over the 128 KiB Linux allows one environment variable, so no later action can take it as an input; select the same resources by name or tag there instead`,
          );
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

/**
 * Fails the step with one line (a PartialFailure: the line of its reason), then, unless the
 * capability's summary already heads with the outcome, a summary block saying so.
 */
async function fail(
  spec: ActionSpec<Fields>,
  io: StepIO,
  thrown: unknown,
  env: NodeJS.ProcessEnv,
  summarized: boolean,
): Promise<void> {
  const err = thrown instanceof PartialFailure ? thrown.reason : thrown;
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
  if (summarized) return;
  await io.summary(`### ❌ ${spec.name}: ${heading}\n\n\`\`\`\n${line}\n\`\`\`\n`).catch(() => undefined);
}

function registerSecrets<F extends Fields>(spec: ActionSpec<F>, inputs: Inputs<F>): void {
  for (const [name, f] of Object.entries(spec.inputs)) {
    const value = (inputs as Record<string, unknown>)[camel(name)];
    if (f.secret && typeof value === 'string') actionsLog.secret(value);
  }
}

/**
 * The one error boundary of a step: parse inputs (all problems at once, before any cloud call),
 * build the context, run, and report any failure in one line with AWS's code and request id.
 */
async function runStep<F extends Fields>(
  spec: ActionSpec<F>,
  clients: ClientFactory,
  main: (inputs: Inputs<F>, ctx: ActionContext, io: StepIO) => Promise<void>,
  env: NodeJS.ProcessEnv,
  summarized: (err: unknown) => boolean,
  refused?: StepOutputs,
): Promise<void> {
  const io = stepIO(spec as ActionSpec<Fields>, env);
  const cancel = cancellation(actionsLog);
  let ctx: ActionContext | undefined;
  try {
    const inputs = parseInputs(spec, envInputSource(env), actionsLog.warning);
    registerSecrets(spec, inputs);
    ctx = {
      clients: clients({ region: regionOf(inputs, env), action: spec.name, env }),
      clock: systemClock,
      log: actionsLog,
      signal: cancel.signal,
    };
    await main(inputs, ctx, io);
  } catch (err) {
    if (err instanceof ConfigurationError && refused) io.setOutputs(refused);
    await fail(spec as ActionSpec<Fields>, io, err, env, summarized(err));
  } finally {
    cancel.dispose();
    ctx?.clients.destroy();
  }
}

/**
 * Runs a capability as a step: inputs → toOptions → run → outputs and summary. A PartialFailure
 * is reported once, the same way: its result's outputs and summary, then its one error line.
 * `clients` makes the cloud clients the action uses (src/aws/clients.ts: only those are bundled).
 */
export async function runCapability<F extends Fields, O, R>(
  capability: Capability<F, O, R>,
  clients: ClientFactory,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const c = capability;
  await runStep(
    c.spec,
    clients,
    async (inputs, ctx, io) => {
      const report = async (result: R, failure?: string) => {
        io.setOutputs(c.outputs(result));
        await io.summary(c.summary(result, failure));
      };
      let result: R;
      try {
        result = await c.run(ctx, c.toOptions(inputs, io));
      } catch (err) {
        if (err instanceof PartialFailure) await report(err.result as R, err.message);
        throw err;
      }
      await report(result);
    },
    env,
    (err) => err instanceof PartialFailure,
    c.refusedOutputs,
  );
}

/**
 * The post step's boundary: inputs are available again; state saved by main says what to clean.
 * Invalid inputs mean main created nothing, so post has nothing to do.
 */
export async function runPost<F extends Fields>(
  spec: ActionSpec<F>,
  clients: ClientFactory,
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
  const made = clients({ region, action: spec.name, env });
  try {
    await post(inputs, { clients: made, clock: systemClock, log: actionsLog, signal: cancel.signal }, io);
  } catch (err) {
    await fail(spec as ActionSpec<Fields>, io, err, env, false);
  } finally {
    cancel.dispose();
    made.destroy();
  }
}
