// The table in bench/README.md, one block per section, each stamped with when and at which commit it
// was measured: a run of some sections (`--only`) replaces their blocks and keeps the others', so no
// figure is ever edited by hand and each says which run it comes from.
import { markdown, type Section } from './report.js';

export const START = '<!-- bench:start -->';
export const END = '<!-- bench:end -->';
const MARK = /^<!-- section:([\w-]+) -->$/;

export interface RunStamp {
  date: string;
  node: string;
  /** The commit measured (`git rev-parse --short HEAD`), `+changes` when the tree differed from it. */
  commit: string;
  /** How the run was started, e.g. `npm run bench -- --only roll,regions`. */
  command: string;
}

/** One section's block: its marker, heading, stamp and table. `key` is its name in sections.ts. */
export function sectionBlock(key: string, section: Section, stamp: RunStamp): string {
  const table = markdown([section], { date: stamp.date, quick: false, node: stamp.node })
    .split('\n')
    .slice(2) // markdown's own one-run header: the stamp below says it per section
    .join('\n')
    .trimEnd();
  const [heading, ...rest] = table.split('\n');
  const minutes = (section.ms / 60_000).toFixed(1);
  return [
    `<!-- section:${key} -->`,
    heading,
    '',
    `_Measured ${stamp.date} at ${stamp.commit} (node ${stamp.node}) by \`${stamp.command}\`; the section took ${minutes} min._`,
    ...rest,
  ].join('\n');
}

/** The blocks between the markers, by section key; text there without a section marker is dropped. */
export function parseBlocks(readme: string): Map<string, string> {
  const blocks = new Map<string, string>();
  const from = readme.indexOf(START);
  const to = readme.indexOf(END);
  if (from < 0 || to < from) return blocks;
  let key: string | undefined;
  let lines: string[] = [];
  const flush = () => {
    if (key) blocks.set(key, lines.join('\n').trimEnd());
  };
  for (const line of readme.slice(from + START.length, to).split('\n')) {
    const m = MARK.exec(line);
    if (m) {
      flush();
      key = m[1];
      lines = [line];
    } else if (key) lines.push(line);
  }
  flush();
  return blocks;
}

/**
 * The README with the sections just run in place of their blocks and every other block kept, in
 * the order of `order` (sections.ts). The table is appended when the README has no markers yet.
 */
export function mergeTable(
  readme: string,
  ran: ReadonlyMap<string, Section>,
  order: readonly string[],
  stamp: RunStamp,
): string {
  const blocks = parseBlocks(readme);
  for (const [key, section] of ran) blocks.set(key, sectionBlock(key, section, stamp));
  const body = order.flatMap((key) => (blocks.has(key) ? [blocks.get(key)!] : [])).join('\n\n');
  const intro =
    'Each section says when, at which commit and by which command it was measured; a run of some ' +
    'sections (`--only`) replaces just theirs. Ratios are ours ÷ peer from the same run.';
  const table = `${START}\n${intro}\n\n${body}\n${END}`;
  const from = readme.indexOf(START);
  const to = readme.indexOf(END);
  if (from < 0 || to < from) return `${readme.trimEnd()}\n\n${table}\n`;
  return readme.slice(0, from) + table + readme.slice(to + END.length);
}

/** One section in results/latest.json: its figures and the run they come from. */
export interface StampedSection extends Section {
  key: string;
  measured: RunStamp;
}

/** results/latest.json's sections with those just run replaced and the others kept, as in the table. */
export function mergeResults(
  previous: readonly StampedSection[],
  ran: ReadonlyMap<string, Section>,
  order: readonly string[],
  stamp: RunStamp,
): StampedSection[] {
  const byKey = new Map(previous.filter((s) => s.key && s.measured).map((s) => [s.key, s]));
  for (const [key, section] of ran) byKey.set(key, { key, measured: stamp, ...section });
  return order.flatMap((key) => (byKey.has(key) ? [byKey.get(key)!] : []));
}
