// test/localcloud/FIDELITY.md is the contract localcloud keeps with AWS and Octopus: every row
// must cite its source (or say the docs are silent) and name a test file that holds localcloud to it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../harness/action-metadata.js';

interface FidelityRow {
  line: number;
  service: string;
  operation: string;
  behaviour: string;
  source: string;
  tests: { file: string; name: string }[];
}

/** `` `path.test.ts` › name `` entries, several joined by `;`. */
const TEST_REF = /`([^`]+\.test\.ts)`\s*›\s*([^;]+)/g;

function parseFidelity(text: string): { rows: FidelityRow[]; problems: string[] } {
  const rows: FidelityRow[] = [];
  const problems: string[] = [];
  let service = '';
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw.startsWith('## ')) service = raw.slice(3).trim();
    if (!raw.startsWith('|')) return;
    // Cells are split on pipes that are not escaped (`\|` stays inside a cell).
    const cells = raw
      .slice(1, raw.trimEnd().endsWith('|') ? raw.trimEnd().length - 1 : undefined)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim());
    if (cells[0] === 'Operation' || /^:?-+:?$/.test(cells[0] ?? '')) return;
    if (!service) problems.push(`line ${line}: row outside a "## <Service>" section`);
    if (cells.length !== 4) {
      problems.push(`line ${line}: ${cells.length} cells, want 4 (Operation | Behaviour | Source | Test)`);
      return;
    }
    const [operation, behaviour, source, test] = cells as [string, string, string, string];
    if (!operation) problems.push(`line ${line}: no operation`);
    if (!behaviour) problems.push(`line ${line}: no behaviour`);
    if (!/https?:\/\/\S+/.test(source) && !/^docs silent: .+\/.+/i.test(source))
      problems.push(
        `line ${line}: source must be a URL with the quoted sentence, or "docs silent: readings X / Y"`,
      );
    if (/https?:\/\//.test(source) && !/["“]/.test(source))
      problems.push(`line ${line}: source cites a URL but quotes no sentence`);
    const tests = [...test.matchAll(TEST_REF)].map((m) => ({ file: m[1]!, name: m[2]!.trim() }));
    if (!tests.length) problems.push(`line ${line}: test must be \`path/to/file.test.ts\` › name substring`);
    rows.push({ line, service, operation, behaviour, source, tests });
  });
  return { rows, problems };
}

function checkTests(rows: readonly FidelityRow[], root: string): string[] {
  const problems: string[] = [];
  const cache = new Map<string, string | undefined>();
  const read = (file: string) => {
    if (!cache.has(file)) {
      const path = join(root, file);
      cache.set(file, existsSync(path) ? readFileSync(path, 'utf8') : undefined);
    }
    return cache.get(file);
  };
  for (const row of rows)
    for (const t of row.tests) {
      const text = read(t.file);
      if (text === undefined) problems.push(`line ${row.line}: ${t.file} does not exist`);
      else if (!text.includes(t.name)) problems.push(`line ${row.line}: ${t.file} has no test "${t.name}"`);
    }
  return problems;
}

describe('test/localcloud/FIDELITY.md', () => {
  const text = readFileSync(join(repoRoot, 'test/localcloud/FIDELITY.md'), 'utf8');
  const { rows, problems } = parseFidelity(text);

  it('every row has an operation, a behaviour, a source and a test reference', () => {
    expect(problems).toEqual([]);
    expect(rows.length).toBeGreaterThan(0);
  });

  it('every named test file exists and contains the named test', () => {
    expect(checkTests(rows, repoRoot)).toEqual([]);
  });

  it('the checker itself refuses a row without a source and a missing test', () => {
    const bad = parseFidelity(
      '## EC2\n| Operation | Behaviour | Source | Test |\n|---|---|---|---|\n' +
        '| RunInstances | x | | `test/nowhere.test.ts` › y |\n',
    );
    expect(bad.problems.join('\n')).toMatch(/source must be/);
    expect(checkTests(bad.rows, repoRoot)).toEqual(['line 4: test/nowhere.test.ts does not exist']);
    const silent = parseFidelity(
      '## EC2\n| RunInstances | x | docs silent: readings A / B | `test/unit/localcloud/fidelity.test.ts` › the checker itself |\n',
    );
    expect(silent.problems).toEqual([]);
    expect(checkTests(silent.rows, repoRoot)).toEqual([]);
  });
});
