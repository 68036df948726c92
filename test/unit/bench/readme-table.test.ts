// The bench table in bench/README.md: a run of some sections replaces their blocks, keeps the
// others' with their own stamps, in sections.ts's order; text outside the markers is untouched.
import { describe, expect, it } from '@jest/globals';
import {
  END,
  mergeResults,
  mergeTable,
  parseBlocks,
  START,
  type RunStamp,
} from '../../../bench/readme-table.js';
import type { Section } from '../../../bench/report.js';

const stamp = (commit: string, command = 'npm run bench'): RunStamp => ({
  date: `2026-12-07T00:00:00.000Z`,
  node: 'v20.20.2',
  commit,
  command,
});
const section = (name: string, ours: number): Section => ({
  name,
  ms: 90_000,
  figures: [{ metric: `${name} time`, ours, unit: 's' }],
});
const order = ['cold-start', 'reap', 'roll'];

describe('mergeTable', () => {
  it('writes every section run, each stamped, in the sections order, keeping text around the markers', () => {
    const readme = `# bench\n\nprose\n\n${START}\nold unmarked table\n${END}\n\nafter\n`;
    const ran = new Map([
      ['roll', section('roll-asg', 1.02)],
      ['cold-start', section('cold start', 0.4)],
    ]);
    const out = mergeTable(readme, ran, order, stamp('abc1234'));
    expect(out.startsWith('# bench\n\nprose\n\n')).toBe(true);
    expect(out.endsWith(`${END}\n\nafter\n`)).toBe(true);
    // Text between the markers that no section marks (the old one-run table) is dropped.
    expect(out).not.toContain('old unmarked table');
    expect([...parseBlocks(out).keys()]).toEqual(['cold-start', 'roll']);
    expect(parseBlocks(out).get('roll')).toContain(
      '_Measured 2026-12-07T00:00:00.000Z at abc1234 (node v20.20.2) by `npm run bench`; the section took 1.5 min._',
    );
    expect(parseBlocks(out).get('roll')).toContain('| roll-asg time | 1.02 s |');
  });

  it('a run of some sections replaces just theirs; the others keep their figures and stamps', () => {
    const first = mergeTable(
      `${START}\n${END}\n`,
      new Map([
        ['cold-start', section('cold start', 0.4)],
        ['reap', section('reap', 3.5)],
        ['roll', section('roll-asg', 1.02)],
      ]),
      order,
      stamp('abc1234'),
    );
    const second = mergeTable(
      first,
      new Map([['reap', section('reap', 2.9)]]),
      order,
      stamp('def5678', 'npm run bench -- --only reap'),
    );
    const blocks = parseBlocks(second);
    expect([...blocks.keys()]).toEqual(order);
    expect(blocks.get('reap')).toContain('| reap time | 2.90 s |');
    expect(blocks.get('reap')).toContain('at def5678 (node v20.20.2) by `npm run bench -- --only reap`');
    expect(blocks.get('reap')).not.toContain('3.50 s');
    expect(blocks.get('cold-start')).toBe(parseBlocks(first).get('cold-start'));
    expect(blocks.get('roll')).toBe(parseBlocks(first).get('roll'));
    // Run again with the same figures: the same README (nothing accumulates).
    expect(
      mergeTable(
        second,
        new Map([['reap', section('reap', 2.9)]]),
        order,
        stamp('def5678', 'npm run bench -- --only reap'),
      ),
    ).toBe(second);
  });

  it('appends the table to a README without markers', () => {
    const out = mergeTable('# bench\n', new Map([['reap', section('reap', 1)]]), order, stamp('abc1234'));
    expect(out.startsWith(`# bench\n\n${START}\n`)).toBe(true);
    expect(out.trimEnd().endsWith(END)).toBe(true);
  });
});

describe('mergeResults', () => {
  it('keeps the sections not run with their stamps and replaces those run, in the sections order', () => {
    const before = mergeResults(
      [],
      new Map([
        ['roll', section('roll-asg', 1.02)],
        ['reap', section('reap', 3.5)],
      ]),
      order,
      stamp('abc1234'),
    );
    const after = mergeResults(before, new Map([['reap', section('reap', 2.9)]]), order, stamp('def5678'));
    expect(after.map((s) => [s.key, s.measured.commit, s.figures[0]!.ours])).toEqual([
      ['reap', 'def5678', 2.9],
      ['roll', 'abc1234', 1.02],
    ]);
    // The one-run file of before (no key, no stamp) leaves nothing behind.
    expect(mergeResults([section('old', 1) as never], new Map(), order, stamp('x'))).toEqual([]);
  });
});
