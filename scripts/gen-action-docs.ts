// Writes every action's `inputs:`/`outputs:` blocks in action.yml and its README's inputs/outputs
// tables from the specs in src/*/inputs.ts; the rest of both files stays hand-written.
//   tsx scripts/gen-action-docs.ts           rewrite stale files (npm run gen, run by npm run build)
//   tsx scripts/gen-action-docs.ts --check   list stale files and exit 1 (npm run check:generated)
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as prettier from 'prettier';
import { declaredInputs, type ActionSpec, type Fields } from '../src/core/inputs.js';

const root = resolve(fileURLToPath(import.meta.url), '../..');

/** The specs in src/<capability>/inputs.ts, by action name; "deploy-ami" is the root action. */
export async function loadSpecs(): Promise<Map<string, ActionSpec<Fields>>> {
  const specs = new Map<string, ActionSpec<Fields>>();
  for (const dir of readdirSync(join(root, 'src')).sort()) {
    const file = join(root, 'src', dir, 'inputs.ts');
    if (!existsSync(file)) continue;
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    for (const value of Object.values(mod))
      if (typeof value === 'object' && value && 'name' in value && 'inputs' in value && 'outputs' in value)
        specs.set((value as ActionSpec<Fields>).name, value as ActionSpec<Fields>);
  }
  return specs;
}

const actionDir = (name: string) => (name === 'deploy-ami' ? root : join(root, 'actions', name));

function describe(spec: ActionSpec<Fields>, what: string, name: string, text: string | undefined): string {
  const d = text?.trim();
  if (!d) throw new Error(`${spec.name}: ${what} ${name} has no description in its spec`);
  if (d.includes('\n')) throw new Error(`${spec.name}: ${what} ${name}: keep the description on one line`);
  return d;
}

// Single-quoted YAML scalars: only ' needs escaping (doubled); prettier then picks the quotes.
const yamlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The `inputs:` and `outputs:` blocks of action.yml. */
export function yamlBlocks(spec: ActionSpec<Fields>): string {
  const lines = ['inputs:'];
  for (const field of declaredInputs(spec)) {
    const name = field.name;
    lines.push(
      `  ${name}:`,
      `    description: ${yamlString(describe(spec, 'input', name, field.description))}`,
    );
    // An input that falls back to an environment variable is optional to the runner.
    lines.push(`    required: ${field.required && !field.env?.length}`);
    if (field.default !== undefined) lines.push(`    default: ${yamlString(field.default)}`);
    // A renamed input's old name: the runner warns when a workflow still gives it.
    if (field.deprecationMessage)
      lines.push(`    deprecationMessage: ${yamlString(field.deprecationMessage)}`);
  }
  lines.push('', 'outputs:');
  for (const [name, text] of Object.entries(spec.outputs))
    lines.push(`  ${name}:`, `    description: ${yamlString(describe(spec, 'output', name, text))}`);
  return `${lines.join('\n')}\n`;
}

const cell = (s: string) => s.replace(/\|/g, '\\|');
const code = (s: string) => `\`${s}\``;

/** The README's inputs table: a required input says so, a fallback names its variables. */
export function inputsTable(spec: ActionSpec<Fields>): string {
  const rows = ['| Input | Default | Description |', '| --- | --- | --- |'];
  for (const field of declaredInputs(spec)) {
    const name = field.name;
    const fallback = field.env?.map(code).join(' / ');
    const dflt =
      fallback ??
      (field.shownDefault !== undefined ? code(field.shownDefault) : field.required ? '(required)' : '');
    rows.push(
      `| ${code(name)} | ${cell(dflt)} | ${cell(describe(spec, 'input', name, field.description))} |`,
    );
  }
  return rows.join('\n');
}

export function outputsTable(spec: ActionSpec<Fields>): string {
  const rows = ['| Output | Description |', '| --- | --- |'];
  for (const [name, text] of Object.entries(spec.outputs))
    rows.push(`| ${code(name)} | ${cell(describe(spec, 'output', name, text))} |`);
  return rows.join('\n');
}

/** action.yml with its inputs:/outputs: blocks (from `inputs:` up to `runs:`) replaced. */
function actionYml(file: string, spec: ActionSpec<Fields>): string {
  const text = readFileSync(file, 'utf8');
  const m = /^inputs:\n[\s\S]*?(?=^runs:)/m.exec(text);
  if (!m) throw new Error(`${file}: needs top-level inputs: (then outputs:) before runs:`);
  return `${text.slice(0, m.index)}${yamlBlocks(spec)}\n${text.slice(m.index + m[0].length)}`;
}

/** README with the tables between <!-- inputs:start -->/<!-- inputs:end --> (and outputs:) replaced. */
function readme(file: string, spec: ActionSpec<Fields>): string {
  let text = readFileSync(file, 'utf8');
  for (const [part, table] of [
    ['inputs', inputsTable(spec)],
    ['outputs', outputsTable(spec)],
  ] as const) {
    const re = new RegExp(`(<!-- ${part}:start -->\\n)[\\s\\S]*?(<!-- ${part}:end -->)`);
    if (!re.test(text)) throw new Error(`${file}: needs <!-- ${part}:start --> and <!-- ${part}:end -->`);
    text = text.replace(re, (_, start: string, end: string) => `${start}\n${table}\n\n${end}`);
  }
  return text;
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const config = (await prettier.resolveConfig(join(root, 'README.md'))) ?? {};
  const stale: string[] = [];
  const specs = await loadSpecs();
  for (const [name, spec] of specs) {
    const dir = actionDir(name);
    for (const [file, render] of [
      [join(dir, 'action.yml'), actionYml],
      [join(dir, 'README.md'), readme],
    ] as const) {
      const before = readFileSync(file, 'utf8');
      const after = await prettier.format(render(file, spec), { ...config, filepath: file });
      if (after === before) continue;
      stale.push(relative(root, file));
      if (!check) writeFileSync(file, after);
    }
  }
  if (check && stale.length) {
    console.error(
      `Stale (generated from src/*/inputs.ts; run npm run gen and commit):\n${stale.map((f) => `  ${f}`).join('\n')}`,
    );
    process.exit(1);
  }
  console.log(
    check
      ? `${specs.size} actions: action.yml and README inputs/outputs are current`
      : `${stale.length} files rewritten`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
