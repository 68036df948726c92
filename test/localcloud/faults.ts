import { Rng } from './rng.js';

/**
 * Scripted faults, matched per service/operation/region: throttling, 5xx, added latency,
 * dropped connections, and holds. A rule fires by a seeded rate or by an exact sequence ("x.x" =
 * fault, pass, fault), so a failing run repeats.
 *
 * A `hold` rule stops a matching call before anything else happens to it (before the other fault
 * rules are decided and before it is applied) until the rule is released (`release(id)`, removed or
 * cleared) or `latencyMs` (default 60 s) passes: a test learns from `arrived(id)` that the call is
 * in flight, acts (signals the client, adds fault rules that then apply to this very call), and
 * releases it.
 */
export type FaultKind = 'throttle' | 'error' | 'latency' | 'drop' | 'html' | 'hold';

export interface FaultRuleInput {
  /** Signing name (ec2, autoscaling, elasticloadbalancing, ssm, sts) or `octopus`; omitted = every service. */
  service?: string;
  /** Operation name (`DescribeInstances`, or `GET /api/*` for Octopus); `*` wildcards; omitted = all. */
  operation?: string;
  region?: string;
  kind: FaultKind;
  /** For `error`: 500 (default), 503, or 400/403 (a client error such as AccessDenied); for `html` (a proxy's page, not AWS): 500–504. */
  status?: number;
  /** Overrides the error code the protocol would use. */
  code?: string;
  message?: string;
  /** For `latency`: added delay in milliseconds; for `hold`: the longest hold (default 60 000). */
  latencyMs?: number;
  /** Probability per matching call, 0–1 (default 1). */
  rate?: number;
  /** Exact per-call pattern: `x` fires, `.` passes; after the pattern ends the rule passes. */
  sequence?: string;
  /** Stop after firing this many times. */
  count?: number;
  /**
   * For `throttle`/`error`/`drop`: apply the operation first, then fail the response, as when AWS
   * did the work but the answer was lost (the client's retry then sees the effect).
   */
  after?: boolean;
}

export interface FaultRule extends FaultRuleInput {
  id: number;
  seen: number;
  fired: number;
}

export interface FaultOutcome {
  latencyMs: number;
  /** The rule that fails this call, if any (first matching throttle/error/drop rule that fires). */
  failure?: FaultRule;
  fired: FaultRule[];
}

const KINDS: readonly FaultKind[] = ['throttle', 'error', 'latency', 'drop', 'html', 'hold'];
const DEFAULT_HOLD_MS = 60_000;

interface Hold {
  arrived: Promise<void>;
  arrive: () => void;
  released: Promise<void>;
  release: () => void;
}

function newHold(): Hold {
  let arrive = () => {};
  let release = () => {};
  const arrived = new Promise<void>((r) => (arrive = r));
  const released = new Promise<void>((r) => (release = r));
  return { arrived, arrive, released, release };
}

export function validateFaultRule(input: unknown): FaultRuleInput {
  if (typeof input !== 'object' || input === null) throw new Error('a fault rule must be an object');
  const rule = input as Record<string, unknown>;
  if (!KINDS.includes(rule.kind as FaultKind))
    throw new Error(`fault kind must be one of ${KINDS.join(', ')}`);
  if (rule.rate !== undefined && (typeof rule.rate !== 'number' || rule.rate < 0 || rule.rate > 1)) {
    throw new Error('fault rate must be a number from 0 to 1');
  }
  if (rule.sequence !== undefined && (typeof rule.sequence !== 'string' || !/^[x.]+$/.test(rule.sequence))) {
    throw new Error('fault sequence must be made of "x" (fault) and "." (pass)');
  }
  if (rule.kind === 'latency' && (typeof rule.latencyMs !== 'number' || rule.latencyMs < 0)) {
    throw new Error('a latency fault needs latencyMs >= 0');
  }
  // `error` also answers 400/403 (with its `code`, e.g. AccessDenied) for client errors that persist.
  const statuses = rule.kind === 'html' ? [500, 502, 503, 504] : [500, 503, 400, 403];
  if (rule.status !== undefined && !statuses.includes(rule.status as number)) {
    throw new Error(`fault status must be one of ${statuses.join(', ')}`);
  }
  for (const key of ['service', 'operation', 'region', 'code', 'message'] as const) {
    if (rule[key] !== undefined && typeof rule[key] !== 'string')
      throw new Error(`fault ${key} must be a string`);
  }
  if (rule.after !== undefined && typeof rule.after !== 'boolean')
    throw new Error('fault after must be a boolean');
  if (rule.count !== undefined && (typeof rule.count !== 'number' || rule.count < 0)) {
    throw new Error('fault count must be a non-negative number');
  }
  return rule as unknown as FaultRuleInput;
}

function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`);
  return re.test(value);
}

export class Faults {
  private rules: FaultRule[] = [];
  private nextId = 1;
  private rng: Rng;
  private holds = new Map<number, Hold>();

  constructor(private readonly seed: number) {
    this.rng = new Rng(seed ^ 0x5eed);
  }

  add(input: FaultRuleInput): FaultRule {
    const rule: FaultRule = { ...validateFaultRule(input), id: this.nextId++, seen: 0, fired: 0 };
    this.rules.push(rule);
    if (rule.kind === 'hold') this.holds.set(rule.id, newHold());
    return rule;
  }

  /** Resolves when a call first arrives at the `hold` rule `id` (and is being held). */
  arrived(id: number): Promise<void> {
    const hold = this.holds.get(id);
    if (!hold) return Promise.reject(new Error(`no hold rule ${id}`));
    return hold.arrived;
  }

  /** Lets the calls held by rule `id` go on (later matching calls are no longer held). */
  release(id: number): boolean {
    const hold = this.holds.get(id);
    if (!hold) return false;
    hold.release();
    this.rules = this.rules.filter((r) => r.id !== id);
    this.holds.delete(id);
    return true;
  }

  /**
   * Holds one call when a `hold` rule fires for it: resolves once released or its bound passes.
   * Called before decide(), so rules added while the call is held apply to it.
   */
  async hold(service: string, operation: string, region: string): Promise<void> {
    for (const rule of this.rules) {
      if (rule.kind !== 'hold' || !this.matches(rule, service, operation, region)) continue;
      if (rule.count !== undefined && rule.fired >= rule.count) continue;
      const index = rule.seen++;
      const fires =
        rule.sequence !== undefined ? rule.sequence[index] === 'x' : this.rng.next() < (rule.rate ?? 1);
      if (!fires) continue;
      rule.fired++;
      const hold = this.holds.get(rule.id)!;
      hold.arrive();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        hold.released,
        new Promise<void>((r) => (timer = setTimeout(r, rule.latencyMs ?? DEFAULT_HOLD_MS))),
      ]);
      clearTimeout(timer);
      return;
    }
  }

  private matches(rule: FaultRule, service: string, operation: string, region: string): boolean {
    if (rule.service !== undefined && rule.service !== service) return false;
    if (rule.region !== undefined && rule.region !== region) return false;
    return rule.operation === undefined || globMatch(rule.operation, operation);
  }

  list(): FaultRule[] {
    return [...this.rules];
  }

  remove(id: number): boolean {
    this.holds.get(id)?.release();
    this.holds.delete(id);
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== before;
  }

  clear(): void {
    for (const hold of this.holds.values()) hold.release();
    this.holds.clear();
    this.rules = [];
    this.rng = new Rng(this.seed ^ 0x5eed);
  }

  /** Decides what happens to one call; advances the sequences and counters of matching rules. */
  decide(service: string, operation: string, region: string): FaultOutcome {
    const outcome: FaultOutcome = { latencyMs: 0, fired: [] };
    for (const rule of this.rules) {
      if (rule.kind === 'hold' || !this.matches(rule, service, operation, region)) continue;
      if (rule.count !== undefined && rule.fired >= rule.count) continue;
      // A failure already decided this call: later failure rules neither fire nor consume their sequence.
      if (outcome.failure && rule.kind !== 'latency') continue;
      const index = rule.seen++;
      const fires =
        rule.sequence !== undefined ? rule.sequence[index] === 'x' : this.rng.next() < (rule.rate ?? 1);
      if (!fires) continue;
      rule.fired++;
      outcome.fired.push(rule);
      if (rule.kind === 'latency') outcome.latencyMs += rule.latencyMs ?? 0;
      else outcome.failure = rule;
    }
    return outcome;
  }
}
