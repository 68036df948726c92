// `npm run bench [-- --quick] [-- --only name,name]`: runs every section (or those named), writes
// bench/results/latest.json and, but for --quick, the sections' blocks of the table in bench/README.md.
import { execSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mergeResults, mergeTable, type StampedSection } from './readme-table.js';
import type { BenchOptions, Section } from './report.js';
import { sections } from './sections.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg =
  args.find((a) => a.startsWith('--only='))?.slice(7) ??
  (args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined);
const only = onlyArg?.split(',');
const unknown = only?.filter((n) => !(n in sections)) ?? [];
if (unknown.length) {
  console.error(
    `bench: --only ${unknown.join(',')}: no such section; sections: ${Object.keys(sections).join(', ')}`,
  );
  process.exit(2);
}
// Read before the sections run: a commit made while a long run goes on is not what it measured.
const measured = commit();
const opts: BenchOptions = { quick, seed: 42, log: (l) => console.log(l) };

// By section name in sections.ts, in the order run.
const ran = new Map<string, Section>();
let failed = false;
for (const [name, run] of Object.entries(sections)) {
  if (only && !only.includes(name)) continue;
  console.log(`\n== ${name}${quick ? ' (quick)' : ''}`);
  const t = Date.now();
  try {
    const s = await run(opts);
    ran.set(name, { ...s, ms: Date.now() - t });
    for (const f of s.figures)
      console.log(
        `  ${f.metric}: ${f.ours}${f.unit ? ` ${f.unit}` : ''}${f.peer !== undefined ? ` vs ${f.peer} (${f.peerName ?? 'peer'})` : ''}${f.ratio !== undefined ? ` ratio ${f.ratio}` : ''}${f.met === false ? '  TARGET MISSED' : ''}`,
      );
  } catch (err) {
    failed = true;
    console.error(
      `  section ${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
  }
}

const date = new Date().toISOString();
const stamp = {
  date,
  node: process.version,
  commit: measured,
  command: `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`,
};
const order = Object.keys(sections);
const resultsDir = join(here, 'results');
mkdirSync(resultsDir, { recursive: true });
if (quick) {
  // CI's short form: its own file, the table left alone.
  const json = { date, quick, node: process.version, sections: [...ran.values()] };
  writeFileSync(join(resultsDir, 'quick.json'), `${JSON.stringify(json, null, 2)}\n`);
} else {
  const latest = join(resultsDir, 'latest.json');
  const previous = existsSync(latest)
    ? ((JSON.parse(readFileSync(latest, 'utf8')) as { sections?: StampedSection[] }).sections ?? [])
    : [];
  const json = { sections: mergeResults(previous, ran, order, stamp) };
  writeFileSync(latest, `${JSON.stringify(json, null, 2)}\n`);
  const readme = join(here, 'README.md');
  const text = existsSync(readme) ? readFileSync(readme, 'utf8') : '';
  writeFileSync(readme, mergeTable(text, ran, order, stamp));
}
console.log(`\nbench: ${ran.size} sections${failed ? ', some FAILED' : ''}`);
process.exit(failed ? 1 : 0);

/** The commit measured; `+changes` when the working tree differs from it. */
function commit(): string {
  try {
    const head = execSync('git rev-parse --short HEAD', { cwd: here, encoding: 'utf8' }).trim();
    const dirty = execSync('git status --porcelain --untracked-files=no', {
      cwd: here,
      encoding: 'utf8',
    }).trim();
    return dirty ? `${head}+changes` : head;
  } catch {
    return 'unknown commit';
  }
}
