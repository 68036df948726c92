// Bundles every entry in src/entry/ into dist/ as ESM with shared chunks: the AWS SDK and our
// core are written once, and each action's file stays a small stub (see README "Bundle").
import { build } from 'esbuild';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sideEffectFree } from './side-effect-free.mjs';
import { HASH_FILE, sourceHash } from './src-hash.mjs';

const entryDir = 'src/entry';
const entryPoints = {};
for (const file of readdirSync(entryDir)
  .filter((f) => f.endsWith('.ts'))
  .sort()) {
  const base = file.replace(/\.ts$/, '');
  // "<action>-post.ts" becomes dist/<action>/post.js, everything else dist/<action>/index.js
  const out = base.endsWith('-post') ? `${base.slice(0, -5)}/post` : `${base}/index`;
  entryPoints[out] = join(entryDir, file);
}

rmSync('dist', { recursive: true, force: true });
const result = await build({
  entryPoints,
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  // Module paths as seen from here: a worktree whose node_modules is a symlink to another checkout's
  // builds the same bytes as a clean clone (resolved, they sort as ../<other>/node_modules and the
  // chunks come out in another order, so check:dist failed there).
  preserveSymlinks: true,
  target: 'node20',
  mainFields: ['module', 'main'],
  minify: true,
  keepNames: true,
  legalComments: 'none',
  chunkNames: 'chunks/[name]-[hash]',
  // CommonJS dependencies inside an ESM bundle still call require() for node builtins.
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  plugins: [sideEffectFree],
  metafile: true,
  logLevel: 'warning',
});
// What dist/ was built from: the e2e tests refuse to run a dist/ older than src/ (test/support/fresh-dist.mjs).
writeFileSync(HASH_FILE, `${sourceHash('.')}\n`);
const outputs = Object.entries(result.metafile.outputs);
const total = outputs.reduce((n, [, o]) => n + o.bytes, 0);
console.log(`dist: ${outputs.length} files, ${(total / 1024).toFixed(0)} KiB`);
