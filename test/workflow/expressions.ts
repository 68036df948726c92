// `${{ }}` evaluation with GitHub's own expression engine (@actions/expressions). Workflow values
// arrive as workflow-parser tokens: a string with expressions inside is already compiled to a
// single format('…{0}…', …) expression by the parser, exactly as the runner receives it.
import { Evaluator, Lexer, Parser, data } from '@actions/expressions';
import type { FunctionDefinition } from '@actions/expressions/funcs/info';
import { truthy } from '@actions/expressions/result';
import {
  isBasicExpression,
  isBoolean,
  isMapping,
  isNumber,
  isSequence,
  isString,
} from '@actions/workflow-parser';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';

/** Plain JSON-like values the contexts are built from. */
export type Value = string | number | boolean | null | Value[] | { [key: string]: Value };
export type Contexts = Record<string, Value>;

/** Status functions of the scope being evaluated (a step or a job). */
export interface Status {
  success(): boolean;
  failure(): boolean;
  cancelled(): boolean;
}

export const alwaysSuccess: Status = { success: () => true, failure: () => false, cancelled: () => false };

export function toData(v: Value | undefined): data.ExpressionData {
  if (v === null || v === undefined) return new data.Null();
  if (typeof v === 'string') return new data.StringData(v);
  if (typeof v === 'number') return new data.NumberData(v);
  if (typeof v === 'boolean') return new data.BooleanData(v);
  if (Array.isArray(v)) return new data.Array(...v.map(toData));
  return new data.Dictionary(...Object.entries(v).map(([key, value]) => ({ key, value: toData(value) })));
}

export function fromData(d: data.ExpressionData): Value {
  switch (d.kind) {
    case data.Kind.Null:
      return null;
    case data.Kind.String:
      return d.coerceString();
    case data.Kind.Number:
      return d.number();
    case data.Kind.Boolean:
      return (d as data.BooleanData).value;
    case data.Kind.Array:
      return (d as data.Array).values().map(fromData);
    default: {
      const out: Record<string, Value> = {};
      for (const p of (d as data.Dictionary).pairs()) out[p.key] = fromData(p.value);
      return out;
    }
  }
}

const fn = (
  name: string,
  minArgs: number,
  maxArgs: number,
  call: FunctionDefinition['call'],
): [string, FunctionDefinition] => [name.toLowerCase(), { name, minArgs, maxArgs, call }];

function functions(status: Status): Map<string, FunctionDefinition> {
  return new Map([
    fn('success', 0, 0, () => new data.BooleanData(status.success())),
    fn('failure', 0, 0, () => new data.BooleanData(status.failure())),
    fn('cancelled', 0, 0, () => new data.BooleanData(status.cancelled())),
    fn('always', 0, 0, () => new data.BooleanData(true)),
  ]);
}

export class ExpressionFailure extends Error {}

/** Evaluates one expression (the text between `${{` and `}}`). */
export function evaluate(
  expression: string,
  contexts: Contexts,
  status: Status = alwaysSuccess,
): data.ExpressionData {
  const fns = functions(status);
  try {
    const lexed = new Lexer(expression).lex();
    const parsed = new Parser(lexed.tokens, Object.keys(contexts), [...fns.values()]).parse();
    const dictionary = new data.Dictionary(
      ...Object.entries(contexts).map(([key, value]) => ({ key, value: toData(value) })),
    );
    return new Evaluator(parsed, dictionary, fns).evaluate();
  } catch (err) {
    throw new ExpressionFailure(
      `cannot evaluate \${{ ${expression} }}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** An `if:` condition, already wrapped in success() && (…) by the parser when it names no status function. */
export function condition(expression: string, contexts: Contexts, status: Status): boolean {
  return truthy(evaluate(expression, contexts, status));
}

/** Evaluates a whole token tree (with:, env:, outputs:, environment:) into plain values. */
export function evaluateToken(
  token: TemplateToken,
  contexts: Contexts,
  status: Status = alwaysSuccess,
): Value {
  if (isBasicExpression(token)) return fromData(evaluate(token.expression, contexts, status));
  if (isString(token)) return token.value;
  if (isBoolean(token)) return token.value;
  if (isNumber(token)) return token.value;
  if (isSequence(token)) return [...token].map((t) => evaluateToken(t, contexts, status));
  if (isMapping(token)) {
    const out: Record<string, Value> = {};
    for (const pair of token)
      out[String(evaluateToken(pair.key, contexts, status))] = evaluateToken(pair.value, contexts, status);
    return out;
  }
  return null;
}

/** How the runner turns an evaluated value into an input or env string. */
export function asString(v: Value): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

export function evaluateString(
  token: TemplateToken | undefined,
  contexts: Contexts,
  status?: Status,
): string {
  return token ? asString(evaluateToken(token, contexts, status)) : '';
}

/** A mapping of strings (env:, with:, outputs:), each value coerced as the runner does. */
export function evaluateMap(
  token: TemplateToken | undefined,
  contexts: Contexts,
  status?: Status,
): Record<string, string> {
  if (!token) return {};
  const v = evaluateToken(token, contexts, status);
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new ExpressionFailure(`expected a mapping, got ${JSON.stringify(v)}`);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asString(x)]));
}
