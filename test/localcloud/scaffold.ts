// Writes the stubs for a new AWS operation in localcloud (CONTRIBUTING.md walks through filling them):
//   npm run localcloud:scaffold -- <service> <Operation> --module <handler module under aws/>
//   npm run localcloud:scaffold -- --list        every operation localcloud serves
// It touches at most four files: the service's model overlay, the handler module (handler and IAM
// resource mapping), FIDELITY.md (a row to fill in) and a test file.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from './aws/model.js';
import { SERVICES } from './aws/services.js';
import type { AwsService } from './aws/service.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The FIDELITY.md section and SDK client each service's stubs use. */
const SERVICE_INFO: Record<string, { section: string; sdk?: [pkg: string, client: string] }> = {
  ec2: { section: 'EC2', sdk: ['client-ec2', 'EC2Client'] },
  ssm: { section: 'SSM', sdk: ['client-ssm', 'SSMClient'] },
  autoscaling: { section: 'Auto Scaling', sdk: ['client-auto-scaling', 'AutoScalingClient'] },
  elbv2: { section: 'ELBv2', sdk: ['client-elastic-load-balancing-v2', 'ElasticLoadBalancingV2Client'] },
  sqs: { section: 'SQS', sdk: ['client-sqs', 'SQSClient'] },
  sts: { section: 'STS', sdk: ['client-sts', 'STSClient'] },
  events: { section: 'EventBridge' },
};

const kebab = (op: string) => op.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
const camel = (op: string) => op.charAt(0).toLowerCase() + op.slice(1);

function fail(message: string): never {
  console.error(`localcloud:scaffold: ${message}`);
  process.exit(1);
}

function serviceNamed(name: string): AwsService {
  const service = SERVICES.find((s) => s.model === name || s.signingName === name);
  if (!service) fail(`no service "${name}"; one of ${SERVICES.map((s) => s.model).join(', ')}`);
  return service;
}

function list(): void {
  for (const s of SERVICES) for (const op of Object.keys(s.handlers).sort()) console.log(`${s.model} ${op}`);
}

/**
 * Copies the operation and the shapes it reaches that the model lacks from the installed botocore
 * (`pip install botocore`) into aws/models/<service>-overlay.json, which loadModel merges.
 */
function addToModel(service: AwsService, op: string): string | undefined {
  const model = loadModel(service.model);
  if (model.operations[op]) return undefined;
  const script = `
import json, sys, botocore.loaders
name, version, op, have = sys.argv[1], sys.argv[2], sys.argv[3], set(json.loads(sys.argv[4]))
m = botocore.loaders.Loader().load_service_model(name, 'service-2', version)
if op not in m['operations']: sys.exit(f'botocore {botocore.__version__} has no {name} operation {op}')
def strip(n):
    if isinstance(n, dict): return {k: strip(v) for k, v in n.items() if k not in ('documentation', 'documentationUrl')}
    if isinstance(n, list): return [strip(v) for v in n]
    return n
seen = set()
def reach(s):
    if s in seen or s in have: return
    seen.add(s); sh = m['shapes'][s]
    refs = [v['shape'] for v in sh.get('members', {}).values()] + [sh[k]['shape'] for k in ('member', 'key', 'value') if k in sh]
    for r in refs: reach(r)
o = m['operations'][op]
for k in ('input', 'output'):
    if k in o: reach(o[k]['shape'])
for e in o.get('errors', []): reach(e['shape'])
print(json.dumps(strip({'operations': {op: o}, 'shapes': {s: m['shapes'][s] for s in sorted(seen)}})))
`;
  const args = [service.model, model.metadata.apiVersion, op, JSON.stringify(Object.keys(model.shapes))];
  const run = spawnSync('python3', ['-c', script, ...args], { encoding: 'utf8' });
  if (run.status !== 0)
    fail(
      `could not read ${op} from botocore (${(run.stderr || run.error?.message || '').trim()}); add it to aws/models/${service.model}-overlay.json by hand from the API reference`,
    );
  const found = JSON.parse(run.stdout) as { operations: object; shapes: object };
  const path = join(HERE, 'aws', 'models', `${service.model}-overlay.json`);
  // Inserted as text, so the overlay's hand-kept layout and comment stay as they are.
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '{ "operations": {}, "shapes": {} }';
  const members = (o: object) =>
    Object.entries(o).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)},`);
  const withOps = text.replace(/"operations":\s*\{/, (m) => `${m} ${members(found.operations).join(' ')}`);
  const withShapes = withOps.replace(/"shapes":\s*\{/, (m) => `${m} ${members(found.shapes).join(' ')}`);
  writeFileSync(path, withShapes.replace(/,(\s*)\}/g, '$1}'));
  return path;
}

/** Inserts `entry` as the first member of the object literal that `opening` starts. */
function insertEntry(source: string, opening: RegExp, entry: string, what: string, file: string): string {
  const m = opening.exec(source);
  if (!m) fail(`${file} has no ${what}; add the operation by hand (CONTRIBUTING.md)`);
  const at = m.index + m[0].length;
  return `${source.slice(0, at)}\n  ${entry},${source.slice(at)}`;
}

/** The handler stub and the two map entries (handler, IAM resource mapping) in the handler module. */
const HANDLERS = /export const \w+Handlers: Record<string, AwsHandler> = \{/;
const IAM = /export const \w+Iam: Record<string, IamMapping> = \{/;

/** The handler module's path, refused before anything is written when it has not both maps. */
function modulePath(module: string): string {
  const path = join(HERE, 'aws', module.endsWith('.ts') ? module : `${module}.ts`);
  if (!existsSync(path)) fail(`no handler module ${path}`);
  const source = readFileSync(path, 'utf8');
  if (!HANDLERS.test(source) || !IAM.test(source))
    fail(
      `${path} has no \`…Handlers\` and \`…Iam\` maps; add the operation by hand (CONTRIBUTING.md, step 1)`,
    );
  return path;
}

function addToModule(path: string, op: string): string {
  let source = readFileSync(path, 'utf8');
  const handlers = HANDLERS;
  const iam = IAM;
  const readOnly = /^(Describe|List|Get)/.test(op);
  source = insertEntry(
    source,
    handlers,
    `${op}: ${camel(op)}`,
    'map `…Handlers: Record<string, AwsHandler>`',
    path,
  );
  source = insertEntry(
    source,
    iam,
    `${op}: ${readOnly ? 'onAnyResource' : `todoIamMapping('${op}')`}`,
    'map `…Iam: Record<string, IamMapping>`',
    path,
  );
  const stub = [
    `/** ${op}: what localcloud models of it (its FIDELITY.md row says what an action reads). */`,
    `const ${camel(op)}: AwsHandler = (_req, _ctx) => {`,
    `  throw new AwsError('InternalError', 'localcloud: ${op} has no model yet; write it as CONTRIBUTING.md says', 500);`,
    `};`,
    '',
  ].join('\n');
  const at = handlers.exec(source)!.index;
  source = `${source.slice(0, at)}${stub}\n${source.slice(at)}`;
  const helper = readOnly ? 'onAnyResource' : 'todoIamMapping';
  source = source.replace(/import \{([^}]*)\} from '\.\.\/iam-context\.js';/, (_all, names: string) => {
    const list = names
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean);
    return `import { ${[...new Set([...list, helper])].join(', ')} } from '../iam-context.js';`;
  });
  writeFileSync(path, source);
  return path;
}

/** A FIDELITY.md row in the service's section whose source and behaviour are still to be written. */
function addFidelityRow(service: AwsService, op: string, testFile: string): string {
  const path = join(HERE, 'FIDELITY.md');
  const lines = readFileSync(path, 'utf8').split('\n');
  const section = SERVICE_INFO[service.model]?.section ?? service.model;
  const row = `| ${op} | TODO: the behaviour an action reads | TODO: the documentation URL and the sentence, quoted, or "docs silent: readings X / Y" | \`test/localcloud/${testFile}\` › ${op} |`;
  const heading = lines.findIndex((l) => l.trim() === `## ${section}`);
  if (heading < 0) {
    lines.push(
      '',
      `## ${section}`,
      '',
      '| Operation | Behaviour | Source | Test |',
      '| --- | --- | --- | --- |',
      row,
    );
  } else {
    // After the last row of the section's table.
    let at = heading + 1;
    while (at < lines.length && !lines[at]!.startsWith('|')) at++;
    while (at + 1 < lines.length && lines[at + 1]!.startsWith('|')) at++;
    lines.splice(at + 1, 0, row);
  }
  writeFileSync(path, lines.join('\n'));
  return path;
}

/** A test that calls the operation through the AWS SDK and fails until it is written. */
function addTest(service: AwsService, op: string, module: string): string | undefined {
  const sdk = SERVICE_INFO[service.model]?.sdk;
  if (!sdk) return undefined;
  const base = basename(module, '.ts');
  const name = existsSync(join(HERE, `${base}.test.ts`)) ? `${base}-${kebab(op)}.test.ts` : `${base}.test.ts`;
  const [pkg, client] = sdk;
  const text = `import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ${client}, ${op}Command } from '@aws-sdk/${pkg}';
import { start, type Localcloud } from './index.js';
import { clientConfig } from './test-support.js';

let lc: Localcloud;
let client: ${client};

beforeAll(async () => {
  lc = await start({ port: 0 });
  client = new ${client}(clientConfig(lc));
});

afterAll(async () => {
  client?.destroy();
  await lc?.stop();
});

describe('${op}', () => {
  it('${op} TODO: the behaviour, as its FIDELITY.md row says it', async () => {
    const out = await client.send(new ${op}Command({} as never));
    expect(out).toMatchObject({ TODO: 'what AWS answers' });
  });
});
`;
  writeFileSync(join(HERE, name), text);
  return name;
}

function scaffold(argv: string[]): void {
  const [serviceName, op] = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--module');
  const module = argv[argv.indexOf('--module') + 1];
  if (!serviceName || !op || !argv.includes('--module') || !module)
    fail(
      'usage: npm run localcloud:scaffold -- <service> <Operation> --module <aws/handler module> | --list',
    );
  const service = serviceNamed(serviceName);
  if (service.handlers[op]) fail(`${service.model} already serves ${op}`);
  const path = modulePath(module);
  const touched = [addToModel(service, op), addToModule(path, op)];
  const test = addTest(service, op, module);
  touched.push(addFidelityRow(service, op, test ?? `${basename(module, '.ts')}.test.ts`));
  if (test) touched.push(join(HERE, test));
  const files = touched.filter((f): f is string => !!f);
  spawnSync('npx', ['prettier', '--write', ...files], { stdio: 'ignore' });
  console.log(
    `${service.model} ${op}: wrote stubs in\n${files.map((f) => `  ${f}`).join('\n')}\nnext: CONTRIBUTING.md, step 3`,
  );
}

const argv = process.argv.slice(2);
if (argv.includes('--list')) list();
else scaffold(argv);
