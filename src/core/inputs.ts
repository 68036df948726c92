// Action specs (inputs with descriptions, outputs, rules) and parseInputs, which reads them all at once.
import { ConfigurationError } from './errors.js';
import { InputProblem, UNIT_NAME, type DurationUnit, type Field } from './input-fields.js';

export type Fields = Record<string, Field<unknown>>;

type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;

/** Parsed inputs: kebab-case names become camelCase keys with typed values. */
export type Inputs<F extends Fields> = {
  [K in keyof F & string as Camel<K>]: F[K] extends Field<infer T> ? T : never;
};

/** A cross-field rule, reported together with single-field problems. */
export type Rule =
  | { exactlyOne: readonly string[] }
  | { atMostOne: readonly string[] }
  | { atLeastOne: readonly string[] }
  /** When the first input is set, the others must be too. */
  | { requires: readonly [string, ...string[]] };

export interface ActionSpec<F extends Fields> {
  /** Action name as in actions/<name>/ (or "deploy-ami" for the root action). */
  name: string;
  /** One Field per input, in action.yml's order; each description is what action.yml says. */
  inputs: F;
  /** Output name → description, in action.yml's order. */
  outputs: Readonly<Record<string, string>>;
  rules?: readonly Rule[];
  /** Checks that need parsed values; push a message per problem. */
  check?: (values: Inputs<F>, problem: (message: string) => void, isSet: (name: string) => boolean) => void;
}

export function defineAction<F extends Fields>(spec: ActionSpec<F>): ActionSpec<F> {
  return spec;
}

export interface InputSource {
  /** The raw input, '' when the runner passed nothing. */
  input(name: string): string;
  /** An environment variable, for inputs that fall back to one. */
  env(name: string): string | undefined;
}

export const camel = (name: string): string =>
  name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * Parses every declared input once, collecting every problem, and throws one
 * ConfigurationError naming each bad input before any cloud call can happen.
 */
export function parseInputs<F extends Fields>(
  spec: ActionSpec<F>,
  source: InputSource,
  warn: (message: string) => void = () => {},
): Inputs<F> {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  // Where each value came from: rules count only what the user set (an input, its old name or its env fallback).
  const origin = new Map<string, 'input' | 'env' | 'default' | 'formerly'>();
  for (const [name, f] of Object.entries(spec.inputs)) {
    let raw = source.input(name).trim();
    // The runner fills an empty input with action.yml's default, so that text alone is not the user's;
    // a renamed input declares none (declaredInputs), so any text there is.
    origin.set(name, f.default !== undefined && raw === f.default && !f.formerly ? 'default' : 'input');
    const old = formerValue(name, f, raw, source, problems, warn);
    if (old) {
      origin.set(name, 'formerly');
      parseInto(values, problems, name, f, old.raw, old.parse, f.formerly!.name);
      continue;
    }
    if (raw === '' && f.env) {
      const fromEnv = f.env.map((e) => source.env(e)?.trim() ?? '').find((v) => v !== '');
      if (fromEnv) {
        raw = fromEnv;
        origin.set(name, 'env');
      }
    }
    if (raw === '' && f.default !== undefined) {
      raw = f.default;
      origin.set(name, 'default');
    }
    if (raw === '') {
      if (f.required) {
        const fallback = f.env?.length ? ` (or set ${f.env.join(' or ')})` : '';
        problems.push(`${name}: is required${fallback}`);
      }
      values[camel(name)] = f.empty;
      continue;
    }
    parseInto(values, problems, name, f, raw, f.parse);
  }
  const explicit = (name: string) => {
    const o = origin.get(name);
    return o === 'env' || o === 'formerly' || (o === 'input' && source.input(name).trim() !== '');
  };
  problems.push(...ruleProblems(spec, explicit));
  if (spec.check) problems.push(...crossFieldProblems(spec, values as Inputs<F>, explicit, problems));
  if (problems.length) throw new ConfigurationError(problems.map((p) => asWritten(spec, origin, p)));
  return values as Inputs<F>;
}

/**
 * A problem names each renamed input the user gave under its old name by that name, as written —
 * where it leads and where it is mentioned: `max-poll-interval-seconds: 10 seconds is below
 * poll-interval-seconds (15 seconds)`, not `max-poll-interval: … below poll-interval …`.
 */
function asWritten(
  spec: { readonly inputs: Fields },
  origin: ReadonlyMap<string, string>,
  problem: string,
): string {
  let written = problem;
  for (const [name, f] of Object.entries(spec.inputs)) {
    if (!f.formerly || origin.get(name) !== 'formerly') continue;
    // The whole name only: poll-interval is part of max-poll-interval.
    const mention = new RegExp(`(?<![\\w-])${name}(?![\\w-])`, 'g');
    written = written.replace(mention, f.formerly.name);
  }
  return written;
}

function parseInto(
  values: Record<string, unknown>,
  problems: string[],
  name: string,
  f: Field<unknown>,
  raw: string,
  parse: (raw: string) => unknown,
  label = name,
): void {
  try {
    values[camel(name)] = parse(raw);
  } catch (err) {
    if (!(err instanceof InputProblem)) throw err;
    // A secret's value must never reach a log, even inside an error.
    problems.push(`${label}: ${f.secret ? err.message.split(raw).join('***') : err.message}`);
    values[camel(name)] = f.empty;
  }
}

/**
 * A renamed input given by its old name: its raw value and how to read it, with a warning naming
 * the new name and the value there (`timeout-minutes: 90 → timeout: 90m`); given with the new name
 * as well, a problem. action.yml declares no default for a renamed input (declaredInputs), so the
 * runner leaves the new name empty when the step does not set it: any text there is the user's.
 */
function formerValue(
  name: string,
  f: Field<unknown>,
  raw: string,
  source: InputSource,
  problems: string[],
  warn: (message: string) => void,
): { raw: string; parse: (raw: string) => unknown } | undefined {
  const old = f.formerly;
  const oldRaw = old ? source.input(old.name).trim() : '';
  if (!old || oldRaw === '') return undefined;
  if (raw !== '') {
    problems.push(`${old.name}: is the old name of ${name}; give only ${name}`);
    return undefined;
  }
  const converted = old.unit && /^\d+(\.\d+)?$/.test(oldRaw) ? `${oldRaw}${old.unit}` : oldRaw;
  // The value to write under the new name, when the old one is valid (a bad one is reported by its old name).
  const valid = (() => {
    try {
      old.parse(oldRaw);
      return true;
    } catch {
      return false;
    }
  })();
  warn(
    `${old.name} is deprecated and will be removed in the next minor version: ${valid ? `${old.name}: ${oldRaw} → ${name}: ${converted}` : `use ${name} instead`}`,
  );
  return { raw: oldRaw, parse: old.parse };
}

/** A value valid for a renamed input, for its deprecationMessage: its default, else a month in its old unit's terms. */
const example = (f: Field<unknown>): string => f.default ?? (f.formerly?.unit === 'd' ? '30d' : '90s');

/** What action.yml says on a renamed input's old name (deprecationMessage). */
export const deprecationMessage = (oldName: string, newName: string, f: Field<unknown>): string =>
  `${oldName} is renamed ${newName} and will be removed in the next minor version; use ${newName}${f.formerly?.unit ? `, a duration with its unit such as ${example(f)}` : ''}.`;

export interface DeclaredInput {
  name: string;
  description: string | undefined;
  required: boolean;
  /** What action.yml declares. */
  default?: string;
  /** What the README tables show: the default the code applies. */
  shownDefault?: string;
  env?: readonly string[];
  deprecationMessage?: string;
}

/**
 * Every input action.yml declares, in its order: each field, then its old name when it was
 * renamed (optional, no default, with a deprecationMessage). `default` is what action.yml declares:
 * none for a renamed input while its old name is accepted, so a step giving both names is always
 * seen (the runner would fill the new one with its default); the code applies the field's default,
 * which `shownDefault` (the README tables) and the description say.
 */
export function declaredInputs(spec: { readonly inputs: Fields }): DeclaredInput[] {
  return Object.entries(spec.inputs).flatMap(([name, f]): DeclaredInput[] => {
    if (!f.formerly)
      return [
        {
          name,
          description: f.description,
          required: f.required,
          default: f.default,
          shownDefault: f.default,
          env: f.env,
        },
      ];
    const description =
      f.default !== undefined && f.description ? `${f.description} Default: ${f.default}.` : f.description;
    return [
      { name, description, required: f.required, shownDefault: f.default, env: f.env },
      {
        name: f.formerly.name,
        description: `Deprecated: the old name of ${name}, accepted until the next minor version (a bare number keeps its old unit${f.formerly.unit ? `, ${UNIT_NAME[f.formerly.unit as DurationUnit]}` : ''}); give ${name} instead.`,
        required: false,
        deprecationMessage: deprecationMessage(f.formerly.name, name, f),
      },
    ];
  });
}

/** What the spec's rules say about the inputs `explicit` counts as set by the user. */
export function ruleProblems<F extends Fields>(
  spec: ActionSpec<F>,
  explicit: (name: string) => boolean,
): string[] {
  const problems: string[] = [];
  for (const rule of spec.rules ?? []) {
    if ('exactlyOne' in rule || 'atMostOne' in rule || 'atLeastOne' in rule) {
      const names =
        'exactlyOne' in rule ? rule.exactlyOne : 'atMostOne' in rule ? rule.atMostOne : rule.atLeastOne;
      const set = names.filter(explicit);
      const list = names.join(', ');
      if ('exactlyOne' in rule && set.length !== 1)
        problems.push(
          set.length === 0 ? `one of ${list} is required` : `${set.join(' and ')}: give only one of ${list}`,
        );
      if ('atMostOne' in rule && set.length > 1)
        problems.push(`${set.join(' and ')}: give at most one of ${list}`);
      if ('atLeastOne' in rule && set.length === 0) problems.push(`at least one of ${list} is required`);
    } else {
      const [first, ...others] = rule.requires;
      if (explicit(first)) {
        const missing = others.filter((n) => !explicit(n) && spec.inputs[n]?.default === undefined);
        if (missing.length) problems.push(`${first}: needs ${missing.join(' and ')} as well`);
      }
    }
  }
  return problems;
}

/**
 * The spec's cross-field check, run even when single fields or rules failed, so one run reports
 * every problem. A failed field holds its empty value, so what the check says about a field a
 * reported problem already names (or a check that cannot run without it) is left out.
 */
function crossFieldProblems<F extends Fields>(
  spec: ActionSpec<F>,
  values: Inputs<F>,
  explicit: (name: string) => boolean,
  reported: readonly string[],
): string[] {
  const found: string[] = [];
  try {
    spec.check!(values, (m) => found.push(m), explicit);
  } catch (err) {
    if (!reported.length) throw err;
  }
  if (!reported.length) return found;
  // Fields a reported problem names (a bad value, or a rule such as "one of a, b is required").
  const mentions = (m: string, n: string) => new RegExp(`(^|[^\\w-])${n}([^\\w-]|$)`).test(m);
  const names = (m: string) =>
    Object.entries(spec.inputs)
      .filter(([n, f]) => mentions(m, n) || (f.formerly !== undefined && mentions(m, f.formerly.name)))
      .map(([n]) => n);
  const failed = new Set(reported.flatMap(names));
  return found.filter((m) => !names(m).some((n) => failed.has(n)));
}

/** Input source backed by the runner's INPUT_* variables. */
export function envInputSource(env: NodeJS.ProcessEnv): InputSource {
  return {
    input: (name) => env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '',
    env: (name) => env[name],
  };
}

/**
 * Reuse some of another action's fields (the root action composes the single actions): each name
 * maps to the description this action gives it, or `true` to keep the other action's.
 */
export function pickFields<F extends Fields, const K extends keyof F & string>(
  fields: F,
  names: { readonly [N in K]: string | true },
): Pick<F, K> {
  const out = {} as Pick<F, K>;
  for (const n of Object.keys(names) as K[]) {
    const description = names[n];
    out[n] = description === true ? fields[n] : { ...fields[n], description };
  }
  return out;
}
