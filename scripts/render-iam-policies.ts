// Renders the shipped IAM and organization policies, written for the README's example pipeline, for
// another pipeline: every example value (account, parameter, bake name, queue, roles, builder VPC,
// allowed source-image owners) is replaced wherever it occurs.
//   tsx scripts/render-iam-policies.ts --out iam/ --account 111122223333 --parameter /golden-ami/api \
//     --bake-name golden-api [--queue q] [--instance-role r] [--builder-role r] [--builder-vpc vpc-…] \
//     [--source-owners amazon,111122223333]
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(fileURLToPath(import.meta.url), '../..');

export interface Pipeline {
  account: string;
  parameter: string;
  bakeName: string;
  queue: string;
  instanceRole: string;
  builderRole: string;
  builderVpc: string;
  sourceOwners: string[];
}

/** What the shipped files name. */
export const EXAMPLE: Pipeline = {
  account: '123456789012',
  parameter: '/golden-ami/web',
  bakeName: 'golden-web',
  queue: 'golden-ami-refresh-events',
  instanceRole: 'golden-ami-instance-web',
  builderRole: 'golden-ami-builder',
  builderVpc: 'vpc-0123456789abcdef0',
  sourceOwners: ['amazon'],
};

/** Every policy file the project ships, by path from the repository root. */
export function shippedPolicyFiles(): string[] {
  const actions = readdirSync(join(root, 'actions')).flatMap((a) =>
    readdirSync(join(root, 'actions', a))
      .filter((f) => /^iam-policy.*\.json$/.test(f))
      .map((f) => `actions/${a}/${f}`),
  );
  const org = readdirSync(join(root, 'org-policies')).map((f) => `org-policies/${f}`);
  return [...actions, 'iam-policy.json', ...org];
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

function renderString(s: string, p: Pipeline): string {
  const swaps = new Map<string, string>([
    [EXAMPLE.queue, p.queue],
    [EXAMPLE.instanceRole, p.instanceRole],
    [EXAMPLE.builderRole, p.builderRole],
    [EXAMPLE.builderVpc, p.builderVpc],
    [EXAMPLE.parameter, p.parameter],
    [EXAMPLE.bakeName, p.bakeName],
    [EXAMPLE.account, p.account],
  ]);
  // One pass, longest names first: a new value is never replaced again (a parameter named
  // /golden-web must not then be taken for the example's bake name).
  const names = [...swaps.keys()].sort((a, b) => b.length - a.length).map(escape);
  return s.replace(new RegExp(names.join('|'), 'g'), (m) => swaps.get(m)!);
}

/** The document with every example value replaced by the pipeline's. */
export function renderPolicy<T>(doc: T, p: Pipeline): T {
  const walk = (v: unknown, key?: string): unknown => {
    if (typeof v === 'string') return renderString(v, p);
    // Image owners: the example's allow-list (amazon) stands for the pipeline's.
    if (Array.isArray(v))
      return key === 'ec2:Owner'
        ? v.flatMap((x) => (EXAMPLE.sourceOwners.includes(x as string) ? p.sourceOwners : [walk(x)]))
        : v.map((x) => walk(x));
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  return walk(doc) as T;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      account: { type: 'string' },
      parameter: { type: 'string' },
      'bake-name': { type: 'string' },
      queue: { type: 'string' },
      'instance-role': { type: 'string' },
      'builder-role': { type: 'string' },
      'builder-vpc': { type: 'string' },
      'source-owners': { type: 'string' },
    },
  });
  const missing = ['out', 'account', 'parameter', 'bake-name'].filter(
    (k) => !values[k as keyof typeof values],
  );
  if (missing.length) throw new Error(`give ${missing.map((m) => `--${m}`).join(', ')}`);
  // The files name the parameter in ARNs as parameter/<path>: only a path parameter renders into them.
  if (!values.parameter!.startsWith('/'))
    throw new Error('--parameter must be a path such as /golden-ami/api');
  const p: Pipeline = {
    account: values.account!,
    parameter: values.parameter!,
    bakeName: values['bake-name']!,
    queue: values.queue ?? EXAMPLE.queue,
    instanceRole: values['instance-role'] ?? EXAMPLE.instanceRole,
    builderRole: values['builder-role'] ?? EXAMPLE.builderRole,
    builderVpc: values['builder-vpc'] ?? EXAMPLE.builderVpc,
    sourceOwners: values['source-owners']?.split(',').map((s) => s.trim()) ?? EXAMPLE.sourceOwners,
  };
  for (const file of shippedPolicyFiles()) {
    const target = join(
      values.out!,
      file === 'iam-policy.json' ? 'deploy-ami/iam-policy.json' : file.replace(/^actions\//, ''),
    );
    mkdirSync(dirname(target), { recursive: true });
    const doc = renderPolicy(JSON.parse(readFileSync(join(root, file), 'utf8')) as unknown, p);
    writeFileSync(target, `${JSON.stringify(doc, null, 2)}\n`);
    console.log(`${file} → ${target}`);
  }
}

if (process.argv[1] && basename(process.argv[1]) === basename(fileURLToPath(import.meta.url))) main();
