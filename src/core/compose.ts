// One action run inside another (deploy-ami runs roll-asg and wait-healthy): the part's spec, and
// how the outer action's inputs become the part's. Its toOptions and its rules and cross-field
// check all read the same composed inputs, so the part keeps every rule it has on its own.
import { inputsWith } from './capability.js';
import { camel, ruleProblems, type ActionSpec, type Fields, type Inputs } from './inputs.js';

export interface Part<Outer, F extends Fields> {
  readonly spec: ActionSpec<F>;
  /**
   * What the outer action sets itself, whatever its user gave: these replace the outer inputs of
   * the same name; any other field flows on by name, or takes the part's declared default.
   */
  given(v: Outer): Partial<Inputs<F>>;
  /** Inputs the outer action fills only at run time (wait-healthy's refreshes come from the roll). */
  readonly atRunTime?: readonly string[];
}

/* @__NO_SIDE_EFFECTS__ */
export function definePart<Outer, F extends Fields>(p: Part<Outer, F>): Part<Outer, F> {
  return p;
}

/** The part's inputs as the outer action passes them. */
export function partInputs<Outer, F extends Fields>(p: Part<Outer, F>, v: Outer): Inputs<F> {
  return inputsWith(p.spec, { ...(v as Partial<Inputs<F>>), ...p.given(v) });
}

/** A value the outer action gives counts as set unless it is empty. */
const holds = (value: unknown): boolean =>
  value !== undefined &&
  value !== '' &&
  !(Array.isArray(value) && value.length === 0) &&
  !(typeof value === 'object' && value !== null && !Array.isArray(value) && !Object.keys(value).length);

/**
 * The part's rules and cross-field check over its composed inputs, as in the standalone action.
 * `isSet` is the outer action's (its field names are the part's: picked fields keep their names).
 */
export function partProblems<Outer, F extends Fields>(
  p: Part<Outer, F>,
  v: Outer,
  isSet: (name: string) => boolean,
): string[] {
  const given = p.given(v) as Record<string, unknown>;
  const explicit = (name: string) => {
    if (p.atRunTime?.includes(name)) return true;
    const key = camel(name);
    return key in given ? holds(given[key]) : isSet(name);
  };
  const found = ruleProblems(p.spec, explicit);
  p.spec.check?.(partInputs(p, v), (m) => found.push(m), explicit);
  return found;
}
