// Every action.yml and README table agrees with the spec that reads its inputs and sets its outputs
// (both are generated from it by scripts/gen-action-docs.ts; these checks catch a hand edit or a stale file).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { declaredInputs, type ActionSpec, type Fields } from '../../src/core/inputs.js';
import { string } from '../../src/core/input-fields.js';
import { actionDir, loadAction, repoRoot } from '../harness/action-metadata.js';
import { checkSpecAgainstAction, unquotedDefaults } from '../harness/spec-check.js';

const isSpec = (v: unknown): v is ActionSpec<Fields> =>
  typeof v === 'object' &&
  v !== null &&
  'name' in v &&
  'inputs' in v &&
  'outputs' in v &&
  typeof (v as { outputs: unknown }).outputs === 'object';

async function loadSpecs(): Promise<Map<string, ActionSpec<Fields>>> {
  const specs = new Map<string, ActionSpec<Fields>>();
  for (const dir of readdirSync(join(repoRoot, 'src'))) {
    const file = join(repoRoot, 'src', dir, 'inputs.ts');
    if (!existsSync(file)) continue;
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    for (const value of Object.values(mod)) if (isSpec(value)) specs.set(value.name, value);
  }
  return specs;
}

/** [name, description] of each row of the README table between <!-- part:start --> and <!-- part:end -->. */
function tableRows(readme: string, part: 'inputs' | 'outputs'): [string, string][] {
  const m = new RegExp(`<!-- ${part}:start -->([\\s\\S]*?)<!-- ${part}:end -->`).exec(readme);
  if (!m) return [];
  return m[1]!
    .split('\n')
    .map((l) => /^\| `([^`]+)` +\|(?:.*?[^\\]\|)? *(.*?) *\|$/.exec(l))
    .filter((r): r is RegExpExecArray => r !== null)
    .map((r) => [r[1]!, r[2]!]);
}

const actionNames = [
  ...readdirSync(join(repoRoot, 'actions')).filter((d) =>
    existsSync(join(repoRoot, 'actions', d, 'action.yml')),
  ),
  ...(existsSync(join(repoRoot, 'action.yml')) ? ['deploy-ami'] : []),
];

describe('action.yml files agree with the code', () => {
  let specs: Map<string, ActionSpec<Fields>>;
  beforeAll(async () => {
    specs = await loadSpecs();
  });

  it('finds actions to check', () => {
    expect(actionNames.length).toBeGreaterThan(0);
  });

  it.each(actionNames)('%s: inputs, outputs, defaults and required flags match its spec', (name) => {
    const spec = specs.get(name);
    expect(spec).toBeDefined();
    expect(checkSpecAgainstAction(spec!, loadAction(name))).toEqual([]);
  });

  it.each(actionNames)(
    '%s: runs on node24 from dist/, is branded, quotes its defaults, documents itself',
    (name) => {
      const meta = loadAction(name);
      expect(meta.runs.using).toBe('node24');
      expect(meta.runs.main).toMatch(/(^|\/)dist\/[a-z-]+\/index\.js$/);
      if (meta.runs.post) expect(meta.runs.post).toMatch(/(^|\/)dist\/[a-z-]+\/post\.js$/);
      expect(meta.branding?.icon).toBeTruthy();
      expect(meta.branding?.color).toBeTruthy();
      expect(meta.description.trim()).not.toBe('');
      expect(unquotedDefaults(meta.file)).toEqual([]);
      const readme = join(actionDir(name), 'README.md');
      expect(existsSync(readme)).toBe(true);
      const text = readFileSync(readme, 'utf8');
      const missing = [...Object.keys(meta.inputs), ...Object.keys(meta.outputs)].filter(
        (n) => !text.includes(`\`${n}\``),
      );
      expect(missing).toEqual([]);
    },
  );

  it.each(actionNames)('%s: the README tables between the markers list the spec, row by row', (name) => {
    const spec = specs.get(name)!;
    const text = readFileSync(join(actionDir(name), 'README.md'), 'utf8');
    expect(tableRows(text, 'inputs')).toEqual(
      declaredInputs(spec).map((f) => [f.name, f.description?.replace(/\|/g, '\\|')]),
    );
    expect(tableRows(text, 'outputs')).toEqual(
      Object.entries(spec.outputs).map(([n, d]) => [n, d.replace(/\|/g, '\\|')]),
    );
  });

  it('reports a description that drifted from action.yml', () => {
    const name = actionNames[0]!;
    const real = specs.get(name)!;
    const [first] = Object.keys(real.inputs);
    const drifted = {
      ...real,
      inputs: { ...real.inputs, [first!]: { ...real.inputs[first!]!, description: 'x' } },
    };
    expect(checkSpecAgainstAction(drifted, loadAction(name)).join('\n')).toContain(
      `input ${first}'s description differs`,
    );
    const [out] = Object.keys(real.outputs);
    const outDrift = { ...real, outputs: { ...real.outputs, [out!]: 'x' } };
    expect(checkSpecAgainstAction(outDrift, loadAction(name)).join('\n')).toContain(
      `output ${out}'s description differs`,
    );
  });

  it('every spec in src/ belongs to an action.yml', () => {
    expect([...specs.keys()].filter((n) => !actionNames.includes(n))).toEqual([]);
  });

  it('reports an input the code reads but action.yml does not declare', () => {
    const name = actionNames[0]!;
    const real = specs.get(name)!;
    const withExtra = { ...real, inputs: { ...real.inputs, 'made-up-input': string() } };
    expect(checkSpecAgainstAction(withExtra, loadAction(name))).toContain(
      `${name === 'deploy-ami' ? 'action.yml' : `actions/${name}/action.yml`}: input made-up-input is read by the code but not declared`,
    );
  });

  it('reports a default that drifted from action.yml', () => {
    const name = actionNames[0]!;
    const real = specs.get(name)!;
    const [first] = Object.keys(loadAction(name).inputs);
    const drifted = { ...real, inputs: { ...real.inputs, [first!]: string({ default: 'drifted' }) } };
    expect(checkSpecAgainstAction(drifted, loadAction(name)).join('\n')).toContain(
      `input ${first} defaults to`,
    );
  });

  it('no code outside src/core reads INPUT_* or @actions/core inputs directly', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts') && !p.includes(`${join('src', 'core')}`)) {
          const text = readFileSync(p, 'utf8');
          if (/\bgetInput\(|getBooleanInput\(|getMultilineInput\(|INPUT_/.test(text)) offenders.push(p);
        }
      }
    };
    walk(join(repoRoot, 'src'));
    expect(offenders).toEqual([]);
  });
});
