// The contract every action follows (see README.md): a capability is its spec, a pure mapping
// from parsed inputs to typed options, the work, and how its result becomes outputs and a summary.
// runCapability (run.ts) is the one place that calls them in that order and reports failures.
import type { ActionContext, StepEnv, StepOutputs } from './context.js';
import { camel, type ActionSpec, type Fields, type Inputs } from './inputs.js';

export interface Capability<F extends Fields, Options, Result> {
  readonly spec: ActionSpec<F>;
  /** Pure: validated inputs (and the runner's variables, for the few that need them) to typed options. */
  toOptions(inputs: Inputs<F>, step: StepEnv): Options;
  /** The work. Throws PartialFailure<Result> when it stopped part way (or refused) with something to report. */
  run(ctx: ActionContext, options: Options): Promise<Result>;
  /** The step's outputs; only names the spec declares. */
  outputs(result: Result): StepOutputs;
  /**
   * The job summary; `failure` is the PartialFailure's line when the run failed, and the summary
   * then heads with ❌ and says it: the boundary adds no second heading.
   */
  summary(result: Result, failure?: string): string;
  /** Outputs written when the inputs are refused before any call (deploy-ami: status refused). */
  refusedOutputs?: StepOutputs;
}

/**
 * Declares a capability with its types inferred from its parts. Marked free of side effects, so
 * the bundler treats the capability object as plain data a bundle that does not use it can drop.
 */
/* @__NO_SIDE_EFFECTS__ */
export function defineCapability<F extends Fields, Options, Result>(
  c: Capability<F, Options, Result>,
): Capability<F, Options, Result> {
  return c;
}

/**
 * An action's inputs as another action passes them (deploy-ami calling roll, promote, wait, reap):
 * each field `given` names, else the field's declared default parsed by the field itself, so a
 * field the caller does not expose behaves as in the standalone action, and one it picks flows on.
 */
export function inputsWith<F extends Fields>(spec: ActionSpec<F>, given: Partial<Inputs<F>>): Inputs<F> {
  const out: Record<string, unknown> = {};
  const values = given as Record<string, unknown>;
  for (const [name, f] of Object.entries(spec.inputs)) {
    const key = camel(name);
    out[key] = key in values ? values[key] : f.default !== undefined ? f.parse(f.default) : f.empty;
  }
  return out as Inputs<F>;
}
