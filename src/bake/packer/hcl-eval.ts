// Evaluates the few HCL expressions a file path is usually written with: string literals and
// templates over path.root, path.cwd, var.* and local.*, and lists of them. Anything else is
// "not known" (undefined), never a guess.

/** Values the expressions may use: `path.root`, `var.name`, `local.name`. */
export type HclScope = Record<string, string>;

const REFERENCE = /^(path\.(root|cwd)|var\.[A-Za-z_][\w-]*|local\.[A-Za-z_][\w-]*)$/;

/** A string or list of strings, or undefined when it cannot be known before Packer runs. */
export function evaluate(expr: string, scope: HclScope): string | string[] | undefined {
  const e = expr.trim();
  if (e.startsWith('[') && e.endsWith(']')) {
    const items = splitTopLevel(e.slice(1, -1)).filter((x) => x.trim());
    const values = items.map((x) => evaluate(x, scope));
    return values.every((v): v is string => typeof v === 'string') ? values : undefined;
  }
  if (REFERENCE.test(e)) return scope[e];
  if (e.startsWith('"') && closingQuote(e, 0) === e.length - 1) return template(e.slice(1, -1), scope);
  return undefined;
}

/** The index of the quote closing the string opening at `start`. */
function closingQuote(s: string, start: number): number {
  let depth = 0;
  for (let i = start + 1; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (depth === 0 && c === '"') return i;
    else if ((c === '$' || c === '%') && s[i + 1] === '{') {
      depth++;
      i++;
    } else if (depth > 0 && c === '"') i = closingQuote(s, i);
    else if (depth > 0 && c === '}') depth--;
  }
  return -1;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };

/** A quoted string's content with its ${…} references filled in. */
function template(body: string, scope: HclScope): string | undefined {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\') {
      const e = ESCAPES[body[i + 1] ?? ''];
      if (e === undefined) return undefined;
      out += e;
      i++;
    } else if ((c === '$' || c === '%') && body[i + 1] === c && body[i + 2] === '{') {
      out += `${c}{`;
      i += 2;
    } else if (c === '%' && body[i + 1] === '{') return undefined;
    else if (c === '$' && body[i + 1] === '{') {
      const end = body.indexOf('}', i);
      if (end < 0) return undefined;
      const inner = body.slice(i + 2, end).trim();
      const value = REFERENCE.test(inner) ? scope[inner] : undefined;
      if (value === undefined) return undefined;
      out += value;
      i = end;
    } else out += c;
  }
  return out;
}

/** The index of the first comma (or unmatched closer) at `from` or after, outside brackets and strings. */
function nextAtTopLevel(s: string, from: number): number {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      const end = closingQuote(s, i);
      if (end < 0) return s.length;
      i = end;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (depth === 0 && (c === ',' || c === ')' || c === ']' || c === '}')) return i;
    else if (c === ')' || c === ']' || c === '}') depth--;
  }
  return s.length;
}

/** Splits at commas outside brackets and strings. */
export function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  for (let start = 0; ;) {
    const end = nextAtTopLevel(s, start);
    parts.push(s.slice(start, end));
    if (s[end] !== ',') return parts;
    start = end + 1;
  }
}

/** Calls of the named functions in an expression, each with its first argument's source text. */
export function callsOf(expr: string, names: readonly string[]): { name: string; arg: string }[] {
  const re = new RegExp(`\\b(${names.join('|')})\\s*\\(`, 'g');
  return [...expr.matchAll(re)].map((m) => {
    const open = m.index + m[0].length;
    return { name: m[1]!, arg: expr.slice(open, nextAtTopLevel(expr, open)).trim() };
  });
}
