// bake-ami's toOptions is pure and converts durations to ms; run() adds the bake id's random part and the directory.
import { bakeCapability } from '../../../src/bake/capability.js';
import { bakeOptions, bakeRunOptions } from '../../../src/bake/options.js';
import type { BakeOptions } from '../../../src/bake/types.js';
import { AL2023, startCloud, type UnitCloud } from './cloud.js';
import { parse } from './options.js';

const inputs = { name: 'web', 'source-ami': AL2023, 'user-data': '#!/bin/sh\nshutdown -h now' };
const runner: Record<string, string> = {
  GITHUB_RUN_ID: '4242',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_REPOSITORY: 'example/golden-ami',
  GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
  GITHUB_WORKSPACE: '/home/runner/work/golden-ami',
};

/** A step over these variables, saving state into `saved`. */
function stepOf(env: Record<string, string>) {
  const saved: Record<string, string> = {};
  return {
    saved,
    env: (name: string) => env[name],
    saveState: (n: string, v: string) => void (saved[n] = v),
  };
}

/** The options without their functions, which are new closures on every call. */
const data = ({ record: _record, processRunner: _runner, ...rest }: BakeOptions) => rest;

describe('bakeOptions (toOptions)', () => {
  it('is pure: the same inputs and step give deep-equal options, with no random part', () => {
    const parsed = parse(inputs);
    const step = stepOf(runner);
    const first = bakeOptions(parsed, step);
    expect(data(bakeOptions(parsed, step))).toEqual(data(first));
    expect(first).toMatchObject({
      bakeIdPrefix: '4242-2',
      commit: runner.GITHUB_SHA,
      runUrl: 'https://github.com/example/golden-ami/actions/runs/4242',
      workspace: '/home/runner/work/golden-ami',
    });
    // State goes to the step's; nothing is saved by toOptions itself.
    expect(step.saved).toEqual({});
    first.record('region', 'us-east-1');
    expect(step.saved).toEqual({ region: 'us-east-1' });
  });

  it('outside a runner: a local id prefix and no workspace (run() falls back to the current directory)', () => {
    const o = bakeOptions(parse(inputs), stepOf({}));
    expect(o.bakeIdPrefix).toBe('local-1');
    expect(o.workspace).toBeUndefined();
    expect(o.runUrl).toBeUndefined();
    expect(o.commit).toBeUndefined();
  });

  it('converts durations to ms: timeout and poll-interval', () => {
    expect(bakeOptions(parse(inputs), stepOf(runner))).toMatchObject({
      timeoutMs: 60 * 60_000,
      pollIntervalMs: 10_000,
    });
    const o = bakeOptions(parse({ ...inputs, timeout: '90m', 'poll-interval': '2.5' }), stepOf(runner));
    expect(o).toMatchObject({ timeoutMs: 5_400_000, pollIntervalMs: 2_500 });
    expect(o).not.toHaveProperty('timeoutMinutes');
    expect(o).not.toHaveProperty('pollIntervalSeconds');
    expect(bakeOptions(parse({ ...inputs, 'poll-interval': '0.01' }), stepOf(runner)).pollIntervalMs).toBe(
      10,
    );
  });
});

describe('bakeRunOptions', () => {
  it('makes the bake id <run id>-<attempt>-<8 hex>, and the directory the workspace or else the cwd', () => {
    const o = bakeRunOptions(bakeOptions(parse(inputs), stepOf(runner)), { random: 'abcd0123', cwd: '/cwd' });
    expect(o).toMatchObject({ bakeId: '4242-2-abcd0123', workingDirectory: '/home/runner/work/golden-ami' });
    expect(o).not.toHaveProperty('bakeIdPrefix');
    expect(o).not.toHaveProperty('workspace');
    const local = bakeRunOptions(bakeOptions(parse(inputs), stepOf({})), { random: 'abcd0123', cwd: '/cwd' });
    expect(local).toMatchObject({ bakeId: 'local-1-abcd0123', workingDirectory: '/cwd' });
  });
});

describe("the capability's run", () => {
  let cloud: UnitCloud;
  beforeAll(async () => {
    cloud = await startCloud();
  });
  afterAll(() => cloud.stop());

  it('draws the random part of the bake id: two runs of the same options are told apart', async () => {
    const step = stepOf(runner);
    const o = bakeOptions(parse({ ...inputs, 'dry-run': 'true', 'poll-interval': '0.01' }), step);
    const ids: string[] = [];
    for (const _ of [1, 2]) {
      await bakeCapability.run(cloud.context(), o);
      ids.push(step.saved['bake-id']!);
    }
    for (const id of ids) {
      expect(id).toMatch(/^4242-2-[0-9a-f]{8}$/);
      expect(id.length).toBeLessThanOrEqual(64);
    }
    expect(ids[0]).not.toBe(ids[1]);
  });
});
