// Field kinds and shared presets (region, AMI id, seconds, health URL, checkpoints) for action inputs,
// and `renamed`: an input's old name accepted for one minor version.
// Each parses the raw string the runner hands us (defaults already applied) into a typed value, or
// throws InputProblem saying what is accepted. `description` is the text action.yml and the README tables are generated
// from (scripts/gen-action-docs.ts).

export class InputProblem extends Error {}

export interface Field<T> {
  readonly kind: string;
  /** What the input is for: written to action.yml and the README tables (npm run gen). */
  readonly description?: string;
  readonly required: boolean;
  /** The default exactly as action.yml declares it (checked by a test). */
  readonly default?: string;
  /** Environment variables read when the input is empty (e.g. OCTOPUS_URL). */
  readonly env?: readonly string[];
  readonly secret?: boolean;
  /** Value when the input is empty, has no default and is not required. */
  readonly empty: T;
  parse(raw: string): T;
  /** The input's former name, still accepted for one minor version (`renamed`). */
  readonly formerly?: Formerly<T>;
}

/**
 * A renamed input's old name: accepted for one minor version with a warning naming the new one,
 * refused together with it. `parse` reads the old value (a bare number in the old unit).
 */
export interface Formerly<T> {
  readonly name: string;
  parse(raw: string): T;
  /** A duration's old unit: what a bare number under the old name means (`timeout-minutes: 90` is 90m). */
  readonly unit?: string;
}

/** The field, also accepted under its former name (parsed by `parse`, by default the field's own). */
export function renamed<T>(
  f: Field<T>,
  formerName: string,
  parse: (raw: string) => T = f.parse,
  unit?: string,
): Field<T> {
  return { ...f, formerly: { name: formerName, parse, ...(unit ? { unit } : {}) } };
}

export interface Common {
  description?: string;
  default?: string;
  env?: readonly string[];
  secret?: boolean;
}

function field<T>(
  kind: string,
  o: Common & { required?: boolean },
  empty: T,
  parse: (raw: string) => T,
): Field<T> {
  return {
    kind,
    description: o.description,
    required: o.required ?? false,
    default: o.default,
    env: o.env,
    secret: o.secret,
    empty,
    parse,
  };
}

const quote = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);

export interface StringOpts extends Common {
  required?: boolean;
  pattern?: RegExp;
  /** Human description of what is accepted, used when `pattern` does not match. */
  accepted?: string;
  maxLength?: number;
}

/** A field kind whose value is `T` when required or defaulted, else `T | undefined`. */
interface OptionalKind<O, T> {
  (o: O & ({ required: true } | { default: string })): Field<T>;
  (o?: O): Field<T | undefined>;
}

/** A field kind from its parser: the overloads are typed once, in OptionalKind. */
function optionalKind<O extends Common & { required?: boolean }, T>(
  kind: string,
  parse: (raw: string, o: O) => T,
): OptionalKind<O, T> {
  return ((o = {} as O) => field(kind, o, undefined, (raw) => parse(raw, o))) as OptionalKind<O, T>;
}

export const string = optionalKind<StringOpts, string>('string', (raw, o) => {
  if (o.maxLength !== undefined && raw.length > o.maxLength)
    throw new InputProblem(`is ${raw.length} characters long; at most ${o.maxLength} are accepted`);
  if (o.pattern && !o.pattern.test(raw))
    throw new InputProblem(
      `${quote(raw)} is not accepted; expected ${o.accepted ?? `a value matching ${o.pattern}`}`,
    );
  return raw;
});

/** YAML 1.2 core schema booleans only, as @actions/core's getBooleanInput. */
export function boolean(o: Common & { default: string }): Field<boolean> {
  return field('boolean', o, false, (raw) => {
    if (['true', 'True', 'TRUE'].includes(raw)) return true;
    if (['false', 'False', 'FALSE'].includes(raw)) return false;
    throw new InputProblem(`${quote(raw)} is not a boolean; accepted: true or false`);
  });
}

export interface IntegerOpts extends Common {
  required?: boolean;
  min?: number;
  max?: number;
}

export const integer = optionalKind<IntegerOpts, number>('integer', (raw, o) => {
  if (!/^-?\d+$/.test(raw)) throw new InputProblem(`${quote(raw)} is not a whole number${range(o)}`);
  const n = Number(raw);
  if (outside(n, o)) throw new InputProblem(`${n} is out of range${range(o)}`);
  return n;
});

const outside = (n: number, o: IntegerOpts) =>
  (o.min !== undefined && n < o.min) || (o.max !== undefined && n > o.max);

function range(o: { min?: number; max?: number }, show: (n: number) => string = String): string {
  if (o.min !== undefined && o.max !== undefined) return `; accepted: ${show(o.min)} to ${show(o.max)}`;
  if (o.min !== undefined) return `; accepted: ${show(o.min)} or more`;
  if (o.max !== undefined) return `; accepted: at most ${show(o.max)}`;
  return '';
}

/** The unit of a duration input: what a bare number means, and what the parsed value is in. */
export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
export const UNIT_NAME: Record<DurationUnit, string> = {
  ms: 'milliseconds',
  s: 'seconds',
  m: 'minutes',
  h: 'hours',
  d: 'days',
};

/**
 * The one duration syntax of every duration input: a number in the input's own unit (90), or
 * amounts with units ms, s, m, h, d (500ms, 90s, 5m, 1h, 1h30m, 1.5m), each unit at most once and
 * larger units first (1m1m and 30m1h are refused). In ms; undefined when it is none.
 */
export function parseDurationMs(raw: string, unit: DurationUnit): number | undefined {
  const exact = exactDurationMs(raw, unit);
  return exact === undefined ? undefined : Math.round(exact);
}

const isBareNumber = (raw: string) => /^\d+(\.\d+)?$/.test(raw);

/** parseDurationMs before its rounding to whole milliseconds: what messages show. */
function exactDurationMs(raw: string, unit: DurationUnit): number | undefined {
  if (isBareNumber(raw)) return Number(raw) * UNIT_MS[unit]!;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  let last = Infinity;
  for (let m = re.exec(raw); m; m = re.exec(raw)) {
    const size = UNIT_MS[m[2]!]!;
    if (size >= last) return undefined;
    last = size;
    total += Number(m[1]) * size;
    consumed = re.lastIndex;
  }
  return consumed === raw.length && consumed > 0 ? total : undefined;
}

/** A number as people write it: whole, or to 3 significant digits (0.0417, not 0.041666666666666664). */
export const readable = (n: number): string =>
  Number.isInteger(n) && Math.abs(n) < 1e15 ? String(n) : String(Number(n.toPrecision(3)));

/** A duration in the input syntax, largest units first: 3600000 → 1h, 5400000 → 1h30m, 500 → 500ms. */
export function compactDuration(ms: number): string {
  let rest = Math.round(ms);
  let out = '';
  for (const u of ['d', 'h', 'm', 's', 'ms'] as const) {
    const n = Math.floor(rest / UNIT_MS[u]!);
    if (n > 0) out += `${n}${u}`;
    rest -= n * UNIT_MS[u]!;
  }
  return out || '0s';
}

export interface DurationOpts extends IntegerOpts {
  /** What a bare number means and what the value is in (default seconds); min and max are in it too. */
  unit?: DurationUnit;
  /** Only whole units (default): AWS takes whole seconds for refresh preferences. */
  whole?: boolean;
  /**
   * Refuse a bare number (default: accept it in `unit`): for day-scale inputs whose old name took
   * days, where a bare number carried over would silently mean seconds. A renamed input whose old
   * unit was not seconds refuses one whatever this says: `timeout-minutes: 90` carried over as
   * `timeout: 90` would be 90 seconds.
   */
  unitRequired?: boolean;
  /** The input's old name and the unit its bare number was in: accepted for one minor version. */
  formerly?: { name: string; unit: DurationUnit };
}

/**
 * Parses `raw` into the field's unit. `bareUnit` is what a bare number means (undefined: refused);
 * `shownIn` is the unit messages give amounts in (the old name's, for a value given under it).
 */
function parseDuration(
  raw: string,
  o: DurationOpts,
  bareUnit: DurationUnit | undefined,
  shownIn: DurationUnit = o.unit ?? 's',
  oldName = false,
): number {
  const unit = o.unit ?? 's';
  const whole = o.whole ?? true;
  // Zero is zero in every unit: keep-for: 0 needs none.
  if (!bareUnit && isBareNumber(raw) && Number(raw) !== 0)
    throw new InputProblem(
      `${quote(raw)} has no unit: a bare number would be ${amount(raw, 's')}; give the unit, such as ${raw}${o.formerly?.unit ?? unit}`,
    );
  const exact = exactDurationMs(raw, bareUnit ?? unit);
  if (exact === undefined)
    throw new InputProblem(
      `${quote(raw)} is not a duration; accepted: ${bareUnit ? `${UNIT_NAME[bareUnit]} (${bareExample(o, bareUnit)}) or ` : ''}with units ms/s/m/h/d (${examplesFor(o).join(', ')}; each unit once, largest first)`,
    );
  const n = Math.round(exact) / UNIT_MS[unit]!;
  const accepted = acceptedRange(o, shownIn, oldName);
  if (whole && !Number.isInteger(n))
    throw new InputProblem(`${quote(raw)} is not a whole number of ${UNIT_NAME[unit]}${accepted}`);
  if (outside(n, o)) throw new InputProblem(`${asTyped(raw, shownIn)} is out of range${accepted}`);
  return n;
}

/** `1 second`, `90 seconds`. */
const amount = (n: string, unit: DurationUnit) =>
  `${n} ${n === '1' ? UNIT_NAME[unit].slice(0, -1) : UNIT_NAME[unit]}`;

/**
 * An out-of-range value as the user typed it, never rounded (onto a bound, or 200 s off one): in the
 * unit messages speak when typed in it (`600 seconds`, `119.9 seconds`), else quoted (`"59999ms"`).
 */
function asTyped(raw: string, shownIn: DurationUnit): string {
  if (isBareNumber(raw)) return amount(raw, shownIn);
  const single = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(raw);
  return single && single[2] === shownIn ? amount(single[1]!, shownIn) : quote(raw);
}

/**
 * `; accepted: …` in the unit messages speak, with the field's own when that differs
 * (`1 to 1440 minutes (60 to 86400 seconds)` under timeout-minutes). Ranges of hours and days read as
 * durations: `60 to 86400 seconds (1m to 1d)`; one with fractions of a day, under its new name, only
 * so (`1h to 3650d`, not `0.0417 to 3650 days`).
 */
function acceptedRange(o: DurationOpts, shownIn: DurationUnit, oldName: boolean): string {
  const unit = o.unit ?? 's';
  const asDuration = range(o, (x) => compactDuration(x * UNIT_MS[unit]!));
  const fractional =
    UNIT_MS[unit]! > 1000 && [o.min, o.max].some((x) => x !== undefined && !Number.isInteger(x));
  if (fractional && !oldName) return asDuration;
  const ms = (x: number | undefined) => (x ?? 0) * UNIT_MS[unit]!;
  const long = fractional || (UNIT_MS[unit]! <= 1000 && (ms(o.min) >= 60_000 || ms(o.max) > 3_600_000));
  const own = `${range(o, readable).replace('; accepted: ', '')} ${UNIT_NAME[unit]}`;
  if (shownIn === unit)
    return `; accepted: ${own}${long ? ` (${asDuration.replace('; accepted: ', '')})` : ''}`;
  const inShown = (x: number) => readable((x * UNIT_MS[unit]!) / UNIT_MS[shownIn]!);
  return `${range(o, inShown)} ${UNIT_NAME[shownIn]} (${own})`;
}

/**
 * An amount as people write it, but never rounded onto the one it is compared with:
 * `119.9 seconds is below poll-interval (120 seconds)`, not `120 … (120 …)`.
 */
function shownAmount(x: number, other: number): string {
  const short = readable(x);
  return short === readable(other) ? String(Number(x.toPrecision(12))) : short;
}

/** Whether a duration of `ms` is one the field accepts (range and whole units). */
function fitsField(o: DurationOpts, ms: number): boolean {
  const n = ms / UNIT_MS[o.unit ?? 's']!;
  return !outside(n, o) && (!(o.whole ?? true) || Number.isInteger(n));
}

/** A bare number the field accepts in `bare`: 90 where it fits. */
function bareExample(o: DurationOpts, bare: DurationUnit): number {
  return [90, 30, 5, 1, 14, 7].find((n) => fitsField(o, n * UNIT_MS[bare]!)) ?? 90;
}

/** Up to three examples in the syntax that the field itself accepts (range and whole units). */
function examplesFor(o: DurationOpts): string[] {
  const unitMs = UNIT_MS[o.unit ?? 's']!;
  // The usual examples first, then others for a range they miss; shown shortest first.
  const candidates = ['500ms', '90s', '15m', '1h30m', '5s', '30s', '12h', '1d', '7d', '30d', '90d', '365d'];
  const ms = (c: string) => parseDurationMs(c, 's')!;
  // A day- or hour-scale input shows days or hours (keep-for: 1d, 7d, 30d), though 500ms may fit.
  const scaled = unitMs >= UNIT_MS.h! ? candidates.filter((c) => ms(c) >= unitMs) : [];
  const fitting = [...scaled, ...candidates.filter((c) => !scaled.includes(c))]
    .filter((c) => fitsField(o, ms(c)))
    .slice(0, 3)
    .sort((a, b) => ms(a) - ms(b));
  if (fitting.length > 0) return fitting;
  return [o.min, o.max].flatMap((x) => (x === undefined ? [] : [compactDuration(x * unitMs)]));
}

const durationField = optionalKind<DurationOpts, number>('duration', (raw, o) =>
  parseDuration(raw, o, bareAccepted(o) ? (o.unit ?? 's') : undefined),
);

/** A bare number is accepted only where it always meant seconds (or the field's own unit, unrenamed). */
const bareAccepted = (o: DurationOpts) => !o.unitRequired && (!o.formerly || o.formerly.unit === 's');

/**
 * A duration input, parsed by parseDurationMs into the field's unit. With `formerly` its old name
 * is accepted too (`renamed`), a bare number there in the old unit.
 */
export const duration = ((o: DurationOpts = {}) => {
  const f = durationField(o);
  const old = o.formerly;
  return old ? renamed(f, old.name, (raw) => parseDuration(raw, o, old.unit, old.unit, true), old.unit) : f;
}) as typeof durationField;

export interface ListOpts extends Common {
  required?: boolean;
  pattern?: RegExp;
  accepted?: string;
  maxItems?: number;
  /** Drop repeated entries (keeps the first). */
  unique?: boolean;
}

/** Splits a list given one per line or comma-separated; blank entries are ignored. */
export function splitList(raw: string): string[] {
  return raw
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function list(o: ListOpts = {}): Field<string[]> {
  return field('list', o, [], (raw) => {
    let items = splitList(raw);
    if (o.unique) items = [...new Set(items)];
    const bad = o.pattern ? items.filter((i) => !o.pattern!.test(i)) : [];
    if (bad.length)
      throw new InputProblem(
        `${bad.map(quote).join(', ')} ${bad.length === 1 ? 'is' : 'are'} not accepted; expected ${o.accepted ?? `entries matching ${o.pattern}`}`,
      );
    if (o.maxItems !== undefined && items.length > o.maxItems)
      throw new InputProblem(`has ${items.length} entries; at most ${o.maxItems} are accepted`);
    return items;
  });
}

/** `key=value` pairs, one per line or comma-separated. */
export function keyValues(
  o: Common & { required?: boolean; maxItems?: number; keyPattern?: RegExp } = {},
): Field<Record<string, string>> {
  return field('map', o, {}, (raw) => {
    const out: Record<string, string> = {};
    for (const item of splitList(raw)) {
      const eq = item.indexOf('=');
      const key = eq > 0 ? item.slice(0, eq).trim() : '';
      if (!key) throw new InputProblem(`${quote(item)} is not a key=value pair`);
      if (o.keyPattern && !o.keyPattern.test(key))
        throw new InputProblem(`key ${quote(key)} is not accepted`);
      out[key] = item.slice(eq + 1).trim();
    }
    if (o.maxItems !== undefined && Object.keys(out).length > o.maxItems)
      throw new InputProblem(`has ${Object.keys(out).length} pairs; at most ${o.maxItems} are accepted`);
    return out;
  });
}

/** A JSON input; `validate` returns the typed value or a description of what is expected. */
export function json<T>(
  validate: (value: unknown) => T | InputProblem,
  o: Common & { required?: boolean; accepted: string },
): Field<T | undefined> {
  return field('json', o, undefined, (raw) => {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw new InputProblem(`is not valid JSON; expected ${o.accepted}`);
    }
    const result = validate(value);
    if (result instanceof InputProblem) throw new InputProblem(`${result.message}; expected ${o.accepted}`);
    return result;
  });
}

export function choice<const C extends readonly string[]>(
  choices: C,
  o: Common & { default: string },
): Field<C[number]>;
export function choice<const C extends readonly string[]>(
  choices: C,
  o?: Common & { required?: boolean },
): Field<C[number] | undefined>;
export function choice<const C extends readonly string[]>(
  choices: C,
  o: Common & { required?: boolean } = {},
): Field<C[number] | undefined> {
  return field('choice', o, undefined, (raw) => {
    if (!choices.includes(raw))
      throw new InputProblem(`${quote(raw)} is not accepted; accepted: ${choices.join(', ')}`);
    return raw as C[number];
  });
}

/** A non-negative decimal ("15", "0.5"): poll intervals and rates that go below one. */
export function decimal(
  o: Common & { default: string; min: number; max: number; what?: string },
): Field<number> {
  const what = o.what ?? 'number';
  return field('decimal', o, Number(o.default), (raw) => {
    if (!/^\d+(\.\d+)?$/.test(raw))
      throw new InputProblem(`${quote(raw)} is not a ${what}; accepted: e.g. 15 or 0.5`);
    const n = Number(raw);
    if (n < o.min || n > o.max)
      throw new InputProblem(`${n} is out of range; accepted: ${o.min} to ${o.max}`);
    return n;
  });
}

// ---- Presets: inputs several actions share, defined once (pass the action's own description). ----

/**
 * An AWS region name: partition prefix, an optional GovCloud/isolated qualifier, a direction and
 * one digit — us-east-1, us-gov-west-1, cn-northwest-1, eu-isoe-west-1, ap-southeast-7,
 * mx-central-1. A typo (`us-est-1`) or an impossible number (`us-east-99`) fails at input time,
 * before any AWS call, instead of surfacing later as "source-ami does not exist".
 */
export const REGION =
  /^[a-z]{2}(-gov|-iso[a-z]?)?-(north|south|east|west|central|northeast|northwest|southeast|southwest)-\d$/;

/** An EC2 image id: ami- and 8 or 17 hex digits. */
export const AMI_ID = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;

/** The `region` input every action has: AWS_REGION / AWS_DEFAULT_REGION when not given. */
export const region = (description: string) =>
  string({
    description,
    env: ['AWS_REGION', 'AWS_DEFAULT_REGION'],
    required: true,
    pattern: REGION,
    accepted: 'an AWS region name such as us-east-1',
  });

/** A list of region names (`regions`, `copy-to-regions`), one per line or comma-separated. */
export const regionList = (o: { description: string; maxItems?: number }) =>
  list({ unique: true, pattern: REGION, accepted: 'AWS region names such as us-east-1', ...o });

/**
 * The groups roll-asg and wait-healthy work on: `asg-names`, `asg-tags`, and the `regions` (default
 * `region`) to find them in.
 */
export const groupSelection = (d: {
  'asg-names': string;
  'asg-tags': string;
  regions: string;
  region: string;
}) => ({
  'asg-names': asgNames(d['asg-names']),
  'asg-tags': asgTags(d['asg-tags']),
  regions: regionList({ description: d.regions }),
  region: region(d.region),
});

/** Auto Scaling group names (`asg-names`): AWS accepts any 1 to 255 characters (XmlStringMaxLen255). */
export const asgNames = (description: string) =>
  list({
    description,
    unique: true,
    pattern: /^.{1,255}$/,
    accepted: 'Auto Scaling group names (1-255 characters)',
  });

/** Tags selecting groups (`asg-tags`); a group carries at most 50 tags, so more can match none. */
export const asgTags = (description: string) => keyValues({ description, maxItems: 50 });

/** An optional AMI id input. */
export function amiId(o: { description: string }): Field<string | undefined>;
export function amiId(o: { description: string; required: true }): Field<string>;
export function amiId(o: { description: string; required?: boolean }): Field<string | undefined> {
  return string({ ...o, pattern: AMI_ID, accepted: 'an AMI id such as ami-0123456789abcdef0' });
}

/**
 * Seconds, fractions allowed (0.5, 500ms), so tests against localcloud can poll every few tens of
 * milliseconds; the waits' timeouts too (90s, 15m, 1h).
 */
export const seconds = (
  o: { description: string; default: string; min: number; max: number } & Pick<DurationOpts, 'formerly'>,
) => duration({ ...o, unit: 's', whole: false });

/** Host must be an instance placeholder so the check can only ever reach the instances themselves. */
export const HEALTH_URL = /^https?:\/\/\{(private-ip|private-dns)\}(:\d{1,5})?(\/[^\s]*)?$/;

/** `health-url`: an http(s) URL whose host is {private-ip} or {private-dns}. */
export const healthUrl = (description: string) =>
  string({
    description,
    pattern: HEALTH_URL,
    accepted:
      'an http(s) URL whose host is {private-ip} or {private-dns}, e.g. http://{private-ip}:8080/version ({instance-id} may appear in the path)',
  });

/**
 * Instance refresh CheckpointPercentages: whole percentages from 1 to 100, strictly ascending,
 * ending in 100 (AWS replaces every instance only when the last checkpoint is 100).
 */
export function checkpointPercentages(description: string): Field<number[]> {
  const entries = list({
    pattern: /^\d{1,3}$/,
    accepted: 'whole percentages from 1 to 100, such as 20,50,100',
  });
  return field('checkpoints', { description }, [], (raw) => {
    const cps = entries.parse(raw).map(Number);
    const outOfRange = cps.filter((p) => p < 1 || p > 100);
    if (outOfRange.length)
      throw new InputProblem(`${outOfRange.join(', ')} out of range; accepted: 1 to 100`);
    if (cps.some((p, i) => i > 0 && p <= cps[i - 1]!))
      throw new InputProblem(
        `${cps.join(',')} is not strictly ascending; accepted: ascending percentages ending in 100, such as 20,50,100`,
      );
    if (cps[cps.length - 1] !== 100)
      throw new InputProblem(
        `${cps.join(',')} does not end in 100; the last checkpoint must be 100 so every instance is replaced`,
      );
    return cps;
  });
}

/** `timeout` of the waits (roll-asg, wait-healthy, deploy-ami): 1 minute to a day, formerly timeout-minutes. */
export const waitTimeout = (description: string) =>
  seconds({
    description,
    default: '60m',
    min: 60,
    max: 86_400,
    formerly: { name: 'timeout-minutes', unit: 'm' },
  });

/** max-poll-interval's default, which followPace tells from a given value. */
const MAX_POLL_DEFAULT = '60s';

/**
 * The pace of the waits (roll-asg, wait-healthy): `timeout`, and `poll-interval` and
 * `max-poll-interval` (polls start at the first and back off up to the second); formerly
 * timeout-minutes, poll-interval-seconds and max-poll-interval-seconds.
 */
export const waitPace = (d: { timeout: string; 'poll-interval': string; 'max-poll-interval': string }) => ({
  timeout: waitTimeout(d.timeout),
  'poll-interval': seconds({
    description: d['poll-interval'],
    default: '15s',
    min: 0.1,
    max: 3600,
    formerly: { name: 'poll-interval-seconds', unit: 's' },
  }),
  'max-poll-interval': seconds({
    description: d['max-poll-interval'],
    default: MAX_POLL_DEFAULT,
    min: 0.1,
    max: 3600,
    formerly: { name: 'max-poll-interval-seconds', unit: 's' },
  }),
});

/**
 * A max-poll-interval the user gave below the poll-interval they gave. When only one of them is
 * given, the other follows it (`followPace`), so neither default refuses the other.
 */
export function waitPaceProblem(
  v: { pollInterval: number; maxPollInterval: number },
  isSet: (name: string) => boolean,
): string | undefined {
  if (isSet('max-poll-interval') && isSet('poll-interval') && v.maxPollInterval < v.pollInterval)
    return `max-poll-interval: ${shownAmount(v.maxPollInterval, v.pollInterval)} seconds is below poll-interval (${shownAmount(v.pollInterval, v.maxPollInterval)} seconds); accepted: at least poll-interval`;
  return undefined;
}

/**
 * The pace of a wait in seconds once waitPaceProblem passed: the one of poll-interval and
 * max-poll-interval given follows the other's default. `poll-interval: 2m` alone raises the
 * max to 2m; `max-poll-interval: 10s` alone lowers the first poll interval to 10s. Both given,
 * max is at least poll (refused otherwise), so a max below poll means only one was given: the
 * max still at its default means poll was the one.
 */
export function followPace(v: { pollInterval: number; maxPollInterval: number }): {
  pollInterval: number;
  maxPollInterval: number;
} {
  if (v.maxPollInterval >= v.pollInterval) return v;
  const maxIsDefault = v.maxPollInterval === parseDurationMs(MAX_POLL_DEFAULT, 's')! / 1000;
  return maxIsDefault
    ? { pollInterval: v.pollInterval, maxPollInterval: v.pollInterval }
    : { pollInterval: v.maxPollInterval, maxPollInterval: v.maxPollInterval };
}
