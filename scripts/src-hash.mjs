// The hash dist/ is built from: every file under src/ but its READMEs, and the build scripts, by
// path and content.
// build.mjs records it in dist/SOURCE-HASH; the e2e tests refuse a dist/ whose hash differs.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export const HASH_FILE = 'dist/SOURCE-HASH';

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** sha256 over src/ (prose aside: a README edit changes no bundle) and the build scripts, in a fixed order. */
export function sourceHash(root) {
  const inputs = [
    ...files(join(root, 'src')).filter((f) => !f.endsWith('.md')),
    join(root, 'scripts/build.mjs'),
    join(root, 'scripts/side-effect-free.mjs'),
  ]
    .map((f) => relative(root, f).split('\\').join('/'))
    .sort();
  const h = createHash('sha256');
  for (const f of inputs)
    h.update(`${f}\0`)
      .update(readFileSync(join(root, f)))
      .update('\0');
  return h.digest('hex');
}
