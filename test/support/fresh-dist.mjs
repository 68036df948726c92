// The e2e project's globalSetup: the e2e tests run dist/, so they refuse a dist/ built from
// another src/ (after a source edit it would test stale code), in one line that says what to do.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HASH_FILE, sourceHash } from '../../scripts/src-hash.mjs';

export default function freshDist(globalConfig) {
  const root = globalConfig.rootDir;
  let built = '';
  try {
    built = readFileSync(join(root, HASH_FILE), 'utf8').trim();
  } catch {
    // No record: a dist/ from before the record, or none at all.
  }
  if (built === sourceHash(root)) return;
  const line = `e2e refused: dist/ was not built from the current src/ (${HASH_FILE} ${built ? 'differs' : 'is missing'}); run npm run build first`;
  const err = new Error(line);
  err.stack = line;
  throw err;
}
