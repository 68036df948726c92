import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { readStateFiles, STATE_DIR, stateFiles } from '../../../src/core/state-files.js';

const temp = mkdtempSync(join(tmpdir(), 'state-files-test-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

function step(env: Record<string, string> = { RUNNER_TEMP: temp }) {
  const state = new Map<string, string>();
  return {
    state,
    env: (n: string) => env[n],
    saveState: (n: string, v: string) => void state.set(n, v),
    getState: (n: string) => state.get(n) ?? '',
  };
}

describe('state files', () => {
  test('only the directory goes through step state; each name is a file, rewritten whole', () => {
    const s = step();
    const save = stateFiles(s);
    expect(s.state.size).toBe(0);
    const big = 'x'.repeat(300 * 1024);
    save('deploy-journal', big);
    save('deploy-change-0', '{"a":1}');
    save('deploy-change-0', '{"a":2}');
    expect([...s.state.keys()]).toEqual([STATE_DIR]);
    const dir = s.state.get(STATE_DIR)!;
    expect(dir.startsWith(join(temp, 'golden-ami-state-'))).toBe(true);
    // No temporary file is left beside the two saved.
    expect(readdirSync(dir).sort()).toEqual(['deploy-change-0', 'deploy-journal']);
    const get = readStateFiles(s.getState);
    expect(get('deploy-journal')).toBe(big);
    expect(get('deploy-change-0')).toBe('{"a":2}');
    expect(get('deploy-change-1')).toBe('');
  });

  test('nothing saved: no directory, and every name reads empty', () => {
    const s = step();
    stateFiles(s);
    expect(readStateFiles(s.getState)('deploy-journal')).toBe('');
  });

  test('without RUNNER_TEMP, the system temporary directory', () => {
    const s = step({});
    stateFiles(s)('us-east-1-deploy-journal', '{}');
    const dir = s.state.get(STATE_DIR)!;
    expect(dir.startsWith(join(tmpdir(), 'golden-ami-state-'))).toBe(true);
    expect(readStateFiles(s.getState)('us-east-1-deploy-journal')).toBe('{}');
    rmSync(dir, { recursive: true, force: true });
  });

  test('a name that is a path is refused', () => {
    const s = step();
    const save = stateFiles(s);
    expect(() => save('../escape', 'x')).toThrow(/not a file name/);
    expect(existsSync(join(temp, 'escape'))).toBe(false);
    expect(() => readStateFiles(() => temp)('a/b')).toThrow(/not a file name/);
  });
});
