// Compares bundlers for dist/: esbuild with shared chunks (what `npm run build` does), esbuild
// one file per action, and @vercel/ncc one file per action. Prints bytes per action and the cold
// start of `node <bundle>` to its first input error (median of 5). Usage: node scripts/measure-bundles.mjs
import { build } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { sideEffectFree } from './side-effect-free.mjs';

const entries = readdirSync('src/entry')
  .filter((f) => f.endsWith('.ts') && !f.endsWith('-post.ts'))
  .map((f) => f.replace(/\.ts$/, ''))
  .sort();
const out = mkdtempSync(join(tmpdir(), 'gaa-bundles-'));
const banner = { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" };
const env = { PATH: process.env.PATH, AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' };

/** Bytes of a module plus every chunk it imports, transitively: what node actually loads. */
function loadedBytes(file, seen = new Set()) {
  if (seen.has(file)) return 0;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  let bytes = statSync(file).size;
  for (const m of text.matchAll(/(?:from|import)\s*["'](\.{1,2}\/[^"']+)["']/g))
    bytes += loadedBytes(resolve(dirname(file), m[1]), seen);
  return bytes;
}

function coldStartMs(file) {
  const times = [];
  for (let i = 0; i < 5; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [file], { env, encoding: 'utf8' });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (!r.stdout.includes('::error::'))
      throw new Error(`${file} did not report an input error:\n${r.stdout}${r.stderr}`);
  }
  return times.sort((a, b) => a - b)[2];
}

const rows = [];
for (const name of entries) {
  const src = `src/entry/${name}.ts`;
  const esb = join(out, 'esbuild', name, 'index.js');
  await build({
    entryPoints: [src],
    outfile: esb,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    mainFields: ['module', 'main'],
    minify: true,
    keepNames: true,
    legalComments: 'none',
    banner,
    plugins: [sideEffectFree],
    logLevel: 'error',
  });
  const nccDir = join(out, 'ncc', name);
  execFileSync('npx', ['ncc', 'build', src, '-o', nccDir, '-m', '-q'], { stdio: 'ignore' });
  const nccFile = readdirSync(nccDir).find((f) => /^index\.m?js$/.test(f));
  const shared = `dist/${name}/index.js`;
  rows.push({
    name,
    shared: loadedBytes(resolve(shared)),
    sharedMs: coldStartMs(shared),
    esbuild: statSync(esb).size,
    esbuildMs: coldStartMs(esb),
    ncc: statSync(join(nccDir, nccFile)).size,
    nccMs: coldStartMs(join(nccDir, nccFile)),
  });
}
const kib = (b) => `${(b / 1024).toFixed(0)} KiB`;
const ms = (v) => `${v.toFixed(0)} ms`;
const distTotal = (dir) =>
  readdirSync(dir, { recursive: true })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .reduce((n, f) => n + statSync(f).size, 0);
console.log(
  '| action | esbuild shared chunks (loaded) | cold start | esbuild one file | cold start | ncc one file | cold start |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows)
  console.log(
    `| ${r.name} | ${kib(r.shared)} | ${ms(r.sharedMs)} | ${kib(r.esbuild)} | ${ms(r.esbuildMs)} | ${kib(r.ncc)} | ${ms(r.nccMs)} |`,
  );
const sum = (k) => rows.reduce((n, r) => n + r[k], 0);
console.log(
  `| **dist/ total** | ${kib(distTotal('dist'))} | | ${kib(sum('esbuild'))} | | ${kib(sum('ncc'))} | |`,
);
const bare = [];
for (let i = 0; i < 5; i++) {
  const t = process.hrtime.bigint();
  spawnSync(process.execPath, ['-e', '0']);
  bare.push(Number(process.hrtime.bigint() - t) / 1e6);
}
console.log(
  `\nbare \`node -e 0\`: ${ms(bare.sort((a, b) => a - b)[2])} (median of 5), node ${process.version}`,
);
