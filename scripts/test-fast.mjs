// npm run test:fast: the unit tests that never start localcloud (its HTTP server), found by their
// imports: a test file whose relative imports reach test/localcloud/index.ts starts a cloud, any
// other is pure (plan, decide, parse, aws-sdk-client-mock). `--list` prints them instead of running.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const CLOUD = join(ROOT, 'test/localcloud/index.ts');
const IMPORT = /(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g;

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return testFiles(path);
    return e.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** The file a relative import names: `x.js` is `x.ts` in source, `x` may be `x.ts` or `x/index.ts`. */
function resolveImport(from, spec) {
  const base = resolve(dirname(from), spec);
  const tries = [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')];
  return tries.find((p) => p.endsWith('.ts') && existsSync(p));
}

const reaches = new Map();
/** Does this file's import closure include localcloud's server? */
function startsCloud(file, path = new Set()) {
  if (file === CLOUD) return true;
  if (reaches.has(file)) return reaches.get(file);
  if (path.has(file)) return false;
  path.add(file);
  const text = readFileSync(file, 'utf8');
  let found = false;
  for (const m of text.matchAll(IMPORT)) {
    const next = resolveImport(file, m[1]);
    if (next && startsCloud(next, path)) {
      found = true;
      break;
    }
  }
  path.delete(file);
  reaches.set(file, found);
  return found;
}

const pure = testFiles(join(ROOT, 'test/unit'))
  .filter((f) => !startsCloud(f))
  .map((f) => relative(ROOT, f))
  .sort();

if (process.argv.includes('--list')) {
  console.log(pure.join('\n'));
} else {
  // Paths before --selectProjects, which takes every name after it.
  const args = ['jest', ...pure, ...process.argv.slice(2), '--selectProjects', 'unit'];
  const r = spawnSync('npx', args, {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, NODE_OPTIONS: '--experimental-vm-modules --no-warnings' },
  });
  process.exit(r.status ?? 1);
}
