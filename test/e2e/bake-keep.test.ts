// bake-ami through dist against localcloud: on-failure: keep leaves exactly one stopped builder,
// tagged with an expiry, named in the failure line; no image; the post step spares it and a later
// bake's janitor terminates it once the expiry has passed. A cancelled bake leaves nothing.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localcloudEnv, runActionStep, type ActionRun, type CancelPlan } from '../harness/run-action.js';
import { start, type Localcloud } from '../localcloud/index.js';
import { expectRefusedWithoutCalls } from './bake-refusals.js';
import type { Tag } from '../localcloud/state.js';

jest.setTimeout(120_000);

let lc: Localcloud;
let workdir: string;

beforeAll(async () => {
  lc = await start({ port: 0 });
  workdir = mkdtempSync(join(tmpdir(), 'bake-e2e-keep-'));
});
afterAll(async () => {
  await lc.stop();
  rmSync(workdir, { recursive: true, force: true });
});

const SOURCE = 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';
const FAILING =
  '#!/bin/bash\n# localcloud: console BAKE-FAILED: nginx did not install\n# localcloud: hang\nshutdown -h now';
const tag = (tags: Tag[], key: string) => tags.find((t) => t.Key === key)?.Value;

const bakeStep = (name: string, inputs: Record<string, string>, cancel?: CancelPlan): Promise<ActionRun> =>
  runActionStep('bake-ami', {
    inputs: { name, 'source-ami': SOURCE, 'poll-interval': '0.05', ...inputs },
    env: localcloudEnv(lc.url),
    workdir,
    ...(cancel ? { cancel } : {}),
  });

const ofBake = (bakeId: string) => {
  const ec2 = lc.world.region('us-east-1').ec2;
  return {
    live: [...ec2.instances.values()].filter(
      (i) =>
        tag(i.tags, 'golden-ami:bake-id') === bakeId && !['terminated', 'shutting-down'].includes(i.state),
    ),
    images: [...ec2.images.values()].filter((i) => tag(i.tags, 'golden-ami:bake-id') === bakeId),
  };
};

describe('bake-ami e2e: on-failure: keep', () => {
  it('keeps exactly one stopped builder with an expiry, named in the failure line; the janitor removes it after', async () => {
    const started = Date.now();
    const r = await bakeStep('kept', {
      'user-data': FAILING,
      'on-failure': 'keep',
      'keep-builder-for': '6h',
    });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([
      expect.stringMatching(
        /^phase provision failed: .*BAKE-FAILED: nginx did not install.*; builder i-\w+ kept, stopped, until \S+ \(on-failure: keep/,
      ),
    ]);
    expect(r.post?.exitCode).toBe(0);
    const bakeId = r.state['bake-id']!;
    // StopInstances was sent before the step ended; the stop itself may still be finishing.
    const deadline = Date.now() + 10_000;
    while (ofBake(bakeId).live.some((i) => i.state === 'stopping') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const { live, images } = ofBake(bakeId);
    expect(live.map((i) => i.state)).toEqual(['stopped']);
    const builder = live[0]!;
    expect(r.errors[0]).toContain(builder.instanceId);
    expect(tag(builder.tags, 'golden-ami:kept')).toBe(bakeId);
    const expires = Date.parse(tag(builder.tags, 'golden-ami:expires-at')!);
    expect(expires - started).toBeGreaterThan(6 * 3_600_000 - 120_000);
    expect(expires - started).toBeLessThan(6 * 3_600_000 + 120_000);
    expect(images).toEqual([]);

    // Before its expiry a later bake's janitor leaves it.
    const early = await bakeStep('kept-next', { 'user-data': '#!/bin/bash\nshutdown -h now' });
    expect(early.exitCode).toBe(0);
    expect(ofBake(bakeId).live.map((i) => i.instanceId)).toEqual([builder.instanceId]);

    // Time passes: its expiry is behind us, and the next bake's janitor terminates it.
    for (const t of builder.tags) if (t.Key === 'golden-ami:expires-at') t.Value = '2020-01-01T00:00:00.000Z';
    const next = await bakeStep('kept-next', {
      'user-data': '#!/bin/bash\nshutdown -h now',
      'reuse-if-unchanged': 'false',
    });
    expect(next.exitCode).toBe(0);
    expect(next.warnings).toContainEqual(
      expect.stringMatching(new RegExp(`janitor: terminating builder ${builder.instanceId}`)),
    );
    expect(ofBake(bakeId).live).toEqual([]);
  });

  it('the default, cleanup, leaves no builder', async () => {
    const r = await bakeStep('not-kept', { 'user-data': FAILING });
    expect(r.exitCode).toBe(1);
    expect(r.errors[0]).not.toMatch(/kept/);
    expect(ofBake(r.state['bake-id']!).live).toEqual([]);
  });

  it('a cancelled bake with on-failure: keep leaves nothing', async () => {
    const r = await bakeStep(
      'kept-cancelled',
      { 'user-data': '#!/bin/bash\n# localcloud: hang\nshutdown -h now', 'on-failure': 'keep' },
      { whenOutput: /Launched builder/ },
    );
    expect(r.exitCode).not.toBe(0);
    expect(r.post?.exitCode).toBe(0);
    const { live, images } = ofBake(r.state['bake-id']!);
    expect({ live: live.map((i) => i.instanceId), images: images.map((i) => i.imageId) }).toEqual({
      live: [],
      images: [],
    });
  });

  it.each([
    [
      'unknown mode',
      { 'on-failure': 'abort' },
      /^on-failure: "abort" is not accepted; accepted: cleanup, keep/,
    ],
    [
      'keep-builder-for 0',
      { 'keep-builder-for': '0h' },
      /^keep-builder-for: "0h" is out of range; accepted: 3600 to 604800 seconds \(1h to 7d\)/,
    ],
    [
      'keep with packer',
      { 'on-failure': 'keep', engine: 'packer', 'packer-template': 'x.json', 'user-data': '' },
      /^on-failure: keep needs engine: native/,
    ],
  ])('%s: one line naming the input, 0 AWS calls', async (_, inputs, message) => {
    await expectRefusedWithoutCalls(
      lc,
      () => bakeStep('bad', { 'user-data': '#!/bin/bash\nshutdown -h now', ...inputs }),
      message,
    );
  });
});
