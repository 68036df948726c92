// Every action.yml agrees with the code that reads its inputs and sets its outputs.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ActionSpec, Fields } from '../../src/core/inputs.js';
import { string } from '../../src/core/input-fields.js';
import { actionDir, loadAction, repoRoot } from '../harness/action-metadata.js';
import { checkSpecAgainstAction, unquotedDefaults } from '../harness/spec-check.js';

const isSpec = (v: unknown): v is ActionSpec<Fields> =>
  typeof v === 'object' &&
  v !== null &&
  'name' in v &&
  'inputs' in v &&
  'outputs' in v &&
  Array.isArray((v as { outputs: unknown }).outputs);

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
