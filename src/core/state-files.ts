// State too large for step state. The runner hands a post step its state as STATE_<name>
// environment variables, and Linux takes at most 128 KiB for one (the post step's spawn fails with
// E2BIG) and a few MiB for all. So large state (the deploy journal) is written to files in a
// directory of its own under RUNNER_TEMP, each atomically (a temporary file, then rename), and only
// the directory's path goes through step state.
import { mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StepIO } from './context.js';

/** The step state name that holds the directory. */
export const STATE_DIR = 'state-dir';

/** File names are state names: letters, digits, `.`, `_` and `-`, never a path. */
const NAME = /^[\w-][\w.-]{0,199}$/;

function fileOf(dir: string, name: string): string {
  if (!NAME.test(name)) throw new Error(`bug: state name ${JSON.stringify(name)} is not a file name`);
  return join(dir, name);
}

export type StateSaver = (name: string, value: string) => void;

/**
 * A saver writing each name to its own file. The directory is made (and its path saved to step
 * state) on the first save, so a step that saves nothing leaves no state at all.
 */
export function stateFiles(step: {
  env(name: string): string | undefined;
  saveState?: StepIO['saveState'];
}): StateSaver {
  let dir: string | undefined;
  let n = 0;
  return (name, value) => {
    if (!dir) {
      const base = step.env('RUNNER_TEMP') || tmpdir();
      mkdirSync(base, { recursive: true });
      dir = mkdtempSync(join(base, 'golden-ami-state-'));
      step.saveState?.(STATE_DIR, dir);
    }
    const file = fileOf(dir, name);
    const temporary = join(dir, `.${name}.${process.pid}.${n++}`);
    writeFileSync(temporary, value, { mode: 0o600 });
    renameSync(temporary, file);
  };
}

/** Reads what `stateFiles` saved: '' for a name never saved (or no directory saved at all). */
export function readStateFiles(getState: StepIO['getState']): (name: string) => string {
  const dir = getState(STATE_DIR);
  return (name) => {
    if (!dir) return '';
    try {
      return readFileSync(fileOf(dir, name), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw err;
    }
  };
}
