// Enough of HCL's native syntax to read a Packer template's structure: blocks, labels and each
// attribute's expression as written (strings, templates, heredocs, comments and brackets skipped
// over whole), so bake-ami can find the files a template names without Packer.

export interface HclAttribute {
  kind: 'attribute';
  name: string;
  /** The expression's source text, trimmed. */
  expr: string;
}

export interface HclBlock {
  kind: 'block';
  type: string;
  labels: string[];
  body: HclItem[];
}

export type HclItem = HclAttribute | HclBlock;

export class HclSyntaxError extends Error {}

const IDENT = /[A-Za-z0-9_-]/;

/** Parses a file's body; throws HclSyntaxError with a line number when it cannot. */
export function parseHcl(text: string): HclItem[] {
  const s = new Scanner(text);
  const body = s.body(false);
  return body;
}

class Scanner {
  i = 0;
  constructor(private readonly t: string) {}

  private fail(what: string): never {
    const line = this.t.slice(0, this.i).split('\n').length;
    throw new HclSyntaxError(`line ${line}: ${what}`);
  }

  /** Skips blanks and comments; newlines too when `lines`. */
  private skip(lines: boolean): void {
    for (;;) {
      const c = this.t[this.i];
      if (c === ' ' || c === '\t' || c === '\r' || (lines && c === '\n')) this.i++;
      else if (c === '#' || (c === '/' && this.t[this.i + 1] === '/')) {
        while (this.i < this.t.length && this.t[this.i] !== '\n') this.i++;
      } else if (c === '/' && this.t[this.i + 1] === '*') {
        const end = this.t.indexOf('*/', this.i + 2);
        if (end < 0) this.fail('unterminated comment');
        this.i = end + 2;
      } else return;
    }
  }

  private ident(): string {
    const start = this.i;
    while (this.i < this.t.length && IDENT.test(this.t[this.i]!)) this.i++;
    return this.t.slice(start, this.i);
  }

  body(nested: boolean): HclItem[] {
    const items: HclItem[] = [];
    for (;;) {
      this.skip(true);
      if (this.i >= this.t.length) {
        if (nested) this.fail('a block is not closed');
        return items;
      }
      if (this.t[this.i] === '}') {
        if (!nested) this.fail('unexpected }');
        this.i++;
        return items;
      }
      const name = this.ident();
      if (!name) this.fail(`unexpected ${JSON.stringify(this.t[this.i])}`);
      this.skip(false);
      if (this.t[this.i] === '=' && this.t[this.i + 1] !== '=') {
        this.i++;
        const start = this.i;
        this.expression();
        items.push({ kind: 'attribute', name, expr: this.t.slice(start, this.i).trim() });
        continue;
      }
      const labels: string[] = [];
      for (;;) {
        this.skip(false);
        const c = this.t[this.i];
        if (c === '"') {
          const start = this.i;
          this.string();
          labels.push(JSON.parse(this.t.slice(start, this.i)) as string);
        } else if (c !== undefined && IDENT.test(c)) labels.push(this.ident());
        else break;
      }
      if (this.t[this.i] !== '{') this.fail(`expected = or { after ${name}`);
      this.i++;
      items.push({ kind: 'block', type: name, labels, body: this.body(true) });
    }
  }

  /** An attribute's expression: up to a newline (or the enclosing block's }) outside brackets. */
  private expression(): void {
    let depth = 0;
    for (;;) {
      const c = this.t[this.i];
      if (c === undefined) return;
      if (depth === 0 && (c === '\n' || c === '}')) return;
      if (c === '#' || (c === '/' && (this.t[this.i + 1] === '/' || this.t[this.i + 1] === '*'))) {
        this.skip(false);
        continue;
      }
      if (c === '"') this.string();
      else if (c === '<' && this.t[this.i + 1] === '<' && /[-A-Za-z_]/.test(this.t[this.i + 2] ?? ''))
        this.heredoc();
      else {
        if (c === '(' || c === '[' || c === '{') depth++;
        if (c === ')' || c === ']' || c === '}') depth--;
        this.i++;
      }
    }
  }

  /** A quoted string, its ${…} and %{…} sequences (which may hold strings) included. */
  private string(): void {
    this.i++;
    for (;;) {
      const c = this.t[this.i];
      if (c === undefined || c === '\n') this.fail('unterminated string');
      if (c === '\\') this.i += 2;
      else if (c === '"') {
        this.i++;
        return;
      } else if ((c === '$' || c === '%') && this.t[this.i + 1] === '{') {
        this.i += 2;
        this.templateSequence();
      } else this.i++;
    }
  }

  private templateSequence(): void {
    let depth = 1;
    while (depth > 0) {
      const c = this.t[this.i];
      if (c === undefined) this.fail('unterminated ${');
      if (c === '"') this.string();
      else {
        if (c === '{') depth++;
        if (c === '}') depth--;
        this.i++;
      }
    }
  }

  private heredoc(): void {
    const m = /^<<-?([A-Za-z_][\w-]*)\r?\n/.exec(this.t.slice(this.i));
    if (!m) this.fail('malformed heredoc');
    this.i += m[0].length;
    const end = new RegExp(`^[ \\t]*${m[1]}[ \\t]*$`, 'm');
    const rest = this.t.slice(this.i);
    const found = end.exec(rest);
    if (!found) this.fail(`heredoc ${m[1]} is not closed`);
    this.i += found.index + found[0].length;
  }
}

/** Every block of a type, at any depth. */
export function blocksOf(items: HclItem[], type: string): HclBlock[] {
  return items.flatMap((item) =>
    item.kind === 'block' ? [...(item.type === type ? [item] : []), ...blocksOf(item.body, type)] : [],
  );
}

/** Every attribute at any depth, with the blocks it sits in (outermost first). */
export function attributesOf(
  items: HclItem[],
  path: HclBlock[] = [],
): { attr: HclAttribute; path: HclBlock[] }[] {
  return items.flatMap((item) =>
    item.kind === 'attribute' ? [{ attr: item, path }] : attributesOf(item.body, [...path, item]),
  );
}
