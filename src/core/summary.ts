// Markdown builders for job summaries. Pure: the entry hands the text to @actions/core.

const escapeCell = (v: unknown): string =>
  String(v ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, '<br>');

export function table(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const head = `| ${headers.map(escapeCell).join(' | ')} |`;
  const rule = `| ${headers.map(() => '---').join(' | ')} |`;
  return [head, rule, ...rows.map((r) => `| ${r.map(escapeCell).join(' | ')} |`)].join('\n');
}

export const heading = (text: string, level = 3): string => `${'#'.repeat(level)} ${text}`;

export const code = (text: string): string => `\`${text.replace(/`/g, "'")}\``;

export function details(summaryLine: string, body: string): string {
  return `<details><summary>${summaryLine}</summary>\n\n${body}\n\n</details>`;
}

export function seconds(ms: number): string {
  const s = Math.round(ms / 100) / 10;
  if (s < 60) return `${s}s`;
  // Round to whole seconds first, so 179.6 s is 3m0s, never 2m60s.
  const whole = Math.round(s);
  return `${Math.floor(whole / 60)}m${whole % 60}s`;
}

/** Joins non-empty blocks with blank lines. */
export const blocks = (...parts: (string | undefined | false)[]): string =>
  parts.filter(Boolean).join('\n\n');
