// `npm run bench [-- --quick] [-- --only name,name]`: runs every section, writes
// bench/results/latest.json and the table in bench/README.md between the markers.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdown, type BenchOptions, type Section } from './report.js';
import { sections } from './sections.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg =
  args.find((a) => a.startsWith('--only='))?.slice(7) ??
  (args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined);
const only = onlyArg?.split(',');
const opts: BenchOptions = { quick, seed: 42, log: (l) => console.log(l) };

const results: Section[] = [];
let failed = false;
for (const [name, run] of Object.entries(sections)) {
  if (only && !only.includes(name)) continue;
  console.log(`\n== ${name}${quick ? ' (quick)' : ''}`);
  const t = Date.now();
  try {
    const s = await run(opts);
    results.push({ ...s, ms: Date.now() - t });
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

const meta = { date: new Date().toISOString(), quick, node: process.version };
const resultsDir = join(here, 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(
  join(resultsDir, quick ? 'quick.json' : 'latest.json'),
  `${JSON.stringify({ ...meta, sections: results }, null, 2)}\n`,
);
if (!quick && !only) {
  const readme = join(here, 'README.md');
  const text = existsSync(readme) ? readFileSync(readme, 'utf8') : '';
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const table = `${start}\n${markdown(results, meta)}\n${end}`;
  const next = text.includes(start)
    ? text.replace(new RegExp(`${start}[\\s\\S]*${end}`), table)
    : `${text}\n${table}\n`;
  writeFileSync(readme, next);
}
console.log(`\nbench: ${results.length} sections${failed ? ', some FAILED' : ''}`);
process.exit(failed ? 1 : 0);
