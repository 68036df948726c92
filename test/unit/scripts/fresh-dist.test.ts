// The e2e tests' guard against a stale dist/ (test/support/fresh-dist.mjs over scripts/src-hash.mjs),
// on a small tree of its own: the recorded hash matches until a source file changes.
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error -- plain ESM scripts, no type declarations
import freshDist from '../../support/fresh-dist.mjs';
// @ts-expect-error -- plain ESM scripts, no type declarations
import { HASH_FILE, sourceHash } from '../../../scripts/src-hash.mjs';

const root = mkdtempSync(join(tmpdir(), 'fresh-dist-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
for (const dir of ['src/core', 'scripts', 'dist']) mkdirSync(join(root, dir), { recursive: true });
writeFileSync(join(root, 'src/core/a.ts'), 'export const a = 1;\n');
writeFileSync(join(root, 'scripts/build.mjs'), '// build\n');
writeFileSync(join(root, 'scripts/side-effect-free.mjs'), '// plugin\n');

const check = () => (freshDist as (c: { rootDir: string }) => void)({ rootDir: root });

describe('fresh-dist', () => {
  test('refuses a missing record, passes once built, refuses again after a source edit, in one line', () => {
    expect(check).toThrow(
      /^e2e refused: dist\/ was not built from the current src\/ \(dist\/SOURCE-HASH is missing\); run npm run build first$/,
    );
    writeFileSync(join(root, HASH_FILE as string), `${(sourceHash as (r: string) => string)(root)}\n`);
    expect(check).not.toThrow();
    // Prose changes no bundle.
    writeFileSync(join(root, 'src/core/README.md'), '# core\n');
    expect(check).not.toThrow();
    writeFileSync(join(root, 'src/core/a.ts'), 'export const a = 2;\n');
    expect(check).toThrow(/\(dist\/SOURCE-HASH differs\); run npm run build first$/);
  });
});
