/**
 * IAM identity-policy evaluation, as AWS does it for one principal with one policy: an explicit
 * Deny wins, else any matching Allow allows, else the request is implicitly denied. Statements match
 * by Action/NotAction (case-insensitive, `*` and `?` wildcards, e.g. `ec2:Describe*`),
 * Resource/NotResource (ARN patterns, case-sensitive wildcards, `*`) and Condition (string, ARN,
 * bool, numeric and Null operators, `...IfExists`, `ForAnyValue:`/`ForAllValues:`).
 */

export type Effect = 'Allow' | 'Deny';
type OneOrMany<T> = T | T[];
export type ConditionBlock = Record<string, Record<string, OneOrMany<string | boolean | number>>>;

export interface Statement {
  Sid?: string;
  Effect: Effect;
  Action?: OneOrMany<string>;
  NotAction?: OneOrMany<string>;
  Resource?: OneOrMany<string>;
  NotResource?: OneOrMany<string>;
  Condition?: ConditionBlock;
}

export interface PolicyDocument {
  Version?: string;
  Statement: OneOrMany<Statement>;
}

/** Condition keys of a request: `aws:ResourceTag/Name`, `iam:PassedToService`, … (multi-valued as arrays). */
export type RequestContext = Record<string, string | string[] | undefined>;

/** One authorization: an action on one resource ARN (or `*`), with its condition keys. */
export interface AuthRequest {
  action: string;
  resource: string;
  context?: RequestContext;
}

export interface Decision {
  allowed: boolean;
  /** `explicit-deny`, `allow` or `implicit-deny`. */
  kind: 'allow' | 'explicit-deny' | 'implicit-deny';
  /** Index (in `statements(policy)`) of the statement that decided, for allow and explicit deny. */
  statement?: number;
}

const list = <T>(v: OneOrMany<T> | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function statements(policy: PolicyDocument): Statement[] {
  return list(policy.Statement);
}

const patternCache = new Map<string, RegExp>();

/** IAM wildcards: `*` any run of characters, `?` one character; nothing else is special. */
export function wildcard(pattern: string, ignoreCase: boolean): RegExp {
  const key = `${ignoreCase ? 'i' : 's'}:${pattern}`;
  let re = patternCache.get(key);
  if (!re) {
    const body = pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
    patternCache.set(key, re);
  }
  return re;
}

const matchesAction = (patterns: string[], action: string) =>
  patterns.some((p) => wildcard(p, true).test(action));

/** ARN patterns match segment by segment (a `*` does not cross the `:` between segments). */
function matchesResource(patterns: string[], resource: string): boolean {
  return patterns.some((p) => {
    if (p === '*' || resource === '*') return p === '*';
    const ps = p.split(':');
    const rs = resource.split(':');
    if (ps.length < 6 || rs.length < 6) return wildcard(p, false).test(resource);
    // The sixth segment (resource) may itself contain colons: compare the rest as one string.
    const head = (a: string[]) => [...a.slice(0, 5), a.slice(5).join(':')];
    const [ph, rh] = [head(ps), head(rs)];
    return ph.every((seg, i) => wildcard(seg, false).test(rh[i]!));
  });
}

type Comparator = (actual: string, expected: string) => boolean;

const NUMERIC: Record<string, (a: number, b: number) => boolean> = {
  NumericEquals: (a, b) => a === b,
  NumericNotEquals: (a, b) => a !== b,
  NumericLessThan: (a, b) => a < b,
  NumericLessThanEquals: (a, b) => a <= b,
  NumericGreaterThan: (a, b) => a > b,
  NumericGreaterThanEquals: (a, b) => a >= b,
};

function comparator(op: string): { compare: Comparator; negated: boolean } {
  switch (op) {
    case 'StringEquals':
    case 'ArnEquals':
      return { compare: (a, e) => a === e, negated: false };
    case 'StringNotEquals':
    case 'ArnNotEquals':
      return { compare: (a, e) => a === e, negated: true };
    case 'StringEqualsIgnoreCase':
      return { compare: (a, e) => a.toLowerCase() === e.toLowerCase(), negated: false };
    case 'StringNotEqualsIgnoreCase':
      return { compare: (a, e) => a.toLowerCase() === e.toLowerCase(), negated: true };
    case 'StringLike':
    case 'ArnLike':
      return { compare: (a, e) => wildcard(e, false).test(a), negated: false };
    case 'StringNotLike':
    case 'ArnNotLike':
      return { compare: (a, e) => wildcard(e, false).test(a), negated: true };
    case 'Bool':
      return { compare: (a, e) => a.toLowerCase() === e.toLowerCase(), negated: false };
    default: {
      const numeric = NUMERIC[op];
      if (numeric)
        return { compare: (a, e) => numeric(Number(a), Number(e)), negated: op === 'NumericNotEquals' };
      throw new Error(`localcloud IAM: condition operator ${op} is not supported`);
    }
  }
}

/**
 * "Context key names are not case-sensitive" (IAM User Guide, IAM JSON policy elements: Condition),
 * the tag key in aws:ResourceTag/<key> included: a policy naming golden-ami:parameter also matches a
 * resource tagged Golden-AMI:Parameter. Values keep their case; the operator decides.
 */
function lookup(context: RequestContext, key: string): string[] | undefined {
  const wanted = key.toLowerCase();
  for (const [k, v] of Object.entries(context))
    if (k.toLowerCase() === wanted) return v === undefined ? undefined : list(v);
  return undefined;
}

function conditionHolds(operator: string, key: string, expected: string[], context: RequestContext): boolean {
  let op = operator;
  let set: 'any' | 'all' | undefined;
  if (op.startsWith('ForAnyValue:')) [set, op] = ['any', op.slice(12)];
  else if (op.startsWith('ForAllValues:')) [set, op] = ['all', op.slice(13)];
  const ifExists = op.endsWith('IfExists');
  if (ifExists) op = op.slice(0, -8);
  const actual = lookup(context, key);
  if (op === 'Null') {
    const absent = actual === undefined || actual.length === 0;
    return expected.some((e) => (e.toLowerCase() === 'true') === absent);
  }
  const { compare, negated } = comparator(op);
  if (actual === undefined || actual.length === 0) {
    if (set === 'all') return true;
    if (ifExists) return true;
    return negated && set === undefined;
  }
  const one = (a: string) => {
    const hit = expected.some((e) => compare(a, e));
    return negated ? !hit : hit;
  };
  if (set === 'all') return actual.every(one);
  if (set === 'any') return actual.some(one);
  // A single-valued key; a multi-valued one without a set operator matches if any value does.
  return negated ? actual.every(one) : actual.some(one);
}

function conditionsHold(block: ConditionBlock | undefined, context: RequestContext): boolean {
  if (!block) return true;
  return Object.entries(block).every(([operator, keys]) =>
    Object.entries(keys).every(([key, values]) =>
      conditionHolds(
        operator,
        key,
        list(values).map((v) => String(v)),
        context,
      ),
    ),
  );
}

function statementMatches(s: Statement, req: AuthRequest): boolean {
  const actionOk =
    s.NotAction !== undefined
      ? !matchesAction(list(s.NotAction), req.action)
      : matchesAction(list(s.Action), req.action);
  if (!actionOk) return false;
  const resourceOk =
    s.NotResource !== undefined
      ? !matchesResource(list(s.NotResource), req.resource)
      : matchesResource(list(s.Resource), req.resource);
  return resourceOk && conditionsHold(s.Condition, req.context ?? {});
}

export function evaluate(policy: PolicyDocument, req: AuthRequest): Decision {
  const all = statements(policy);
  let allowedBy: number | undefined;
  for (const [i, s] of all.entries()) {
    if (!statementMatches(s, req)) continue;
    if (s.Effect === 'Deny') return { allowed: false, kind: 'explicit-deny', statement: i };
    allowedBy ??= i;
  }
  return allowedBy === undefined
    ? { allowed: false, kind: 'implicit-deny' }
    : { allowed: true, kind: 'allow', statement: allowedBy };
}

/** Throws on a document localcloud cannot evaluate faithfully, naming what is wrong. */
export function validatePolicy(input: unknown): PolicyDocument {
  if (!input || typeof input !== 'object') throw new Error('an IAM policy must be a JSON object');
  const doc = input as PolicyDocument;
  const all = list(doc.Statement);
  if (!all.length) throw new Error('an IAM policy needs at least one Statement');
  for (const [i, s] of all.entries()) {
    const where = `Statement ${s.Sid ?? i}`;
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny')
      throw new Error(`${where}: Effect must be Allow or Deny`);
    if ((s.Action === undefined) === (s.NotAction === undefined))
      throw new Error(`${where}: give exactly one of Action and NotAction`);
    if ((s.Resource === undefined) === (s.NotResource === undefined))
      throw new Error(`${where}: give exactly one of Resource and NotResource`);
    for (const op of Object.keys(s.Condition ?? {})) {
      const bare = op.replace(/^For(Any|All)Values:/, '').replace(/IfExists$/, '');
      if (bare !== 'Null') comparator(bare);
    }
  }
  return doc;
}
