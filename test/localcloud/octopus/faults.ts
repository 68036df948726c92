// Scriptable Octopus faults, the same kinds as the AWS side: an HTTP error status, added
// latency, or a dropped connection; per route (or all), by seeded rate or exact sequence.

export type OctopusFaultKind = 'status' | 'latency' | 'drop';

export interface OctopusFaultRule {
  /** Route name as in the call log (`machines.delete`, `machines.list`, …); omitted or `*` = every route. */
  route?: string;
  kind: OctopusFaultKind;
  /** For `status`: the HTTP status to answer with (500 and 503 are the usual ones). */
  status?: number;
  /** For `latency`: milliseconds added before the request is handled. */
  latencyMs?: number;
  /** Probability per matching call, drawn from the seeded generator. */
  rate?: number;
  /** Exact script: entry i says whether the i-th matching call faults; past its end, none do. */
  sequence?: boolean[];
  /** Let this many matching calls through before faulting (with `times`: a window). */
  after?: number;
  /** Fault at most this many matching calls. */
  times?: number;
}

export interface FaultDecision {
  latencyMs: number;
  drop: boolean;
  status?: number;
}

interface ActiveRule {
  rule: OctopusFaultRule;
  seen: number;
  fired: number;
}

/** mulberry32: tiny, seeded, good enough to make fault runs repeat. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class OctopusFaults {
  private rules: ActiveRule[] = [];
  private random: () => number;

  constructor(private readonly seed = 1) {
    this.random = prng(seed);
  }

  add(rule: OctopusFaultRule): void {
    if (rule.kind === 'status' && !rule.status)
      throw new Error('octopus fault: kind "status" needs a status');
    if (rule.kind === 'latency' && !(rule.latencyMs && rule.latencyMs > 0))
      throw new Error('octopus fault: kind "latency" needs latencyMs');
    this.rules.push({ rule, seen: 0, fired: 0 });
  }

  clear(): void {
    this.rules = [];
    this.random = prng(this.seed);
  }

  list(): OctopusFaultRule[] {
    return this.rules.map((r) => r.rule);
  }

  /** Decides, and counts, what happens to one call of `route`. */
  decide(route: string): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0, drop: false };
    for (const active of this.rules) {
      const { rule } = active;
      if (rule.route && rule.route !== '*' && rule.route !== route) continue;
      const index = active.seen++;
      if (!this.fires(active, index)) continue;
      active.fired++;
      if (rule.kind === 'latency') decision.latencyMs += rule.latencyMs ?? 0;
      else if (rule.kind === 'drop') decision.drop = true;
      else decision.status ??= rule.status;
    }
    return decision;
  }

  private fires(active: ActiveRule, index: number): boolean {
    const { rule } = active;
    if (rule.times !== undefined && active.fired >= rule.times) return false;
    if (rule.after !== undefined && index < rule.after) return false;
    if (rule.sequence) return rule.sequence[index] === true;
    if (rule.rate !== undefined) return this.random() < rule.rate;
    return true;
  }
}
