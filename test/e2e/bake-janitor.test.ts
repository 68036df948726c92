// bake-ami through dist against localcloud: a job killed outright (no post step) leaves its builder,
// image and snapshots; the next bake's janitor retires them once expired, and never a completed bake's.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localcloudEnv, runActionStep, type CancelPlan } from '../harness/run-action.js';
import { start, type Localcloud } from '../localcloud/index.js';
import type { Tag } from '../localcloud/state.js';

jest.setTimeout(180_000);

let lc: Localcloud;
let workdir: string;

beforeAll(async () => {
  lc = await start({ port: 0 });
  workdir = mkdtempSync(join(tmpdir(), 'bake-e2e-janitor-'));
});
afterAll(async () => {
  await lc.stop();
  rmSync(workdir, { recursive: true, force: true });
});

const SOURCE = 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';
const has = (tags: Tag[], key: string, value?: string) =>
  tags.some((t) => t.Key === key && (value === undefined || t.Value === value));

const bake = (name: string, cancel?: CancelPlan) =>
  runActionStep('bake-ami', {
    inputs: {
      name,
      'source-ami': SOURCE,
      'poll-interval': '0.05',
      'user-data':
        '#!/bin/bash\n# localcloud: provision-ms 300\necho BAKE-SUCCEEDED > /dev/console\nshutdown -h now',
    },
    env: localcloudEnv(lc.url),
    workdir,
    ...(cancel ? { cancel, post: false } : {}),
  });

/** Everything of one bake, as localcloud holds it. */
function ofBake(bakeId: string) {
  const ec2 = lc.world.region('us-east-1').ec2;
  return {
    builders: [...ec2.instances.values()].filter(
      (i) => has(i.tags, 'golden-ami:bake-id', bakeId) && !['terminated', 'shutting-down'].includes(i.state),
    ),
    images: [...ec2.images.values()].filter(
      (i) => has(i.tags, 'golden-ami:bake-id', bakeId) && i.state !== 'deregistered',
    ),
    snapshots: [...ec2.snapshots.values()].filter((s) => has(s.tags, 'golden-ami:bake-id', bakeId)),
  };
}

/** Time passes: every expiry tag of this bake moves into the past. */
function expire(bakeId: string): void {
  const { builders, images, snapshots } = ofBake(bakeId);
  for (const r of [...builders, ...images, ...snapshots])
    for (const t of r.tags) if (t.Key === 'golden-ami:expires-at') t.Value = '2020-01-01T00:00:00.000Z';
}

describe('bake-ami e2e: janitor', () => {
  it('retires the builder, image and snapshots of a job killed without its post step, and spares a completed bake', async () => {
    const done = await bake('jan-done');
    expect({ exit: done.exitCode, errors: done.errors }).toEqual({ exit: 0, errors: [] });
    const doneId = done.state['bake-id']!;
    expect(ofBake(doneId).images.every((i) => has(i.tags, 'golden-ami:completed'))).toBe(true);

    const killed = await bake('jan-killed', { whenOutput: /Creating image ami-/, firstSignal: 'SIGKILL' });
    expect(killed.killedBy).toBe('SIGKILL');
    const killedId = killed.state['bake-id']!;
    const left = ofBake(killedId);
    expect(left.images.length).toBe(1);
    expect(left.snapshots.length).toBeGreaterThan(0);

    expire(killedId);
    expire(doneId);
    const next = await bake('jan-next');
    expect({ exit: next.exitCode, errors: next.errors }).toEqual({ exit: 0, errors: [] });
    expect(next.warnings).toContainEqual(
      expect.stringMatching(/^janitor: retiring ami-\w+ in us-east-1 of bake .* which never completed/),
    );
    const after = ofBake(killedId);
    expect({
      builders: after.builders.map((i) => i.instanceId),
      images: after.images.map((i) => i.imageId),
      snapshots: after.snapshots.map((s) => s.snapshotId),
    }).toEqual({ builders: [], images: [], snapshots: [] });
    // The completed bake's AMI is a result: still there, though its expiry passed too.
    expect(ofBake(doneId).images.map((i) => i.state)).toEqual(['available']);
    expect(next.summary).toMatch(/image\(s\) of unfinished bakes retired/);
  });

  it('never reuses the image of a job killed before it completed, though its fingerprint matches', async () => {
    const killed = await bake('jan-rerun', { whenOutput: /Creating image ami-/, firstSignal: 'SIGKILL' });
    expect(killed.killedBy).toBe('SIGKILL');
    const [left] = ofBake(killed.state['bake-id']!).images;
    expect(left).toBeDefined();
    // The re-run comes at once, before the expiry: the image is available and untouched by the janitor.
    for (let i = 0; i < 200 && left!.state !== 'available'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(left!.state).toBe('available');
    const rerun = await bake('jan-rerun');
    expect({ exit: rerun.exitCode, errors: rerun.errors, reused: rerun.outputs.reused }).toEqual({
      exit: 0,
      errors: [],
      reused: 'false',
    });
    expect(rerun.outputs['ami-id']).not.toBe(left!.imageId);
    expect(
      has(
        lc.world.region('us-east-1').ec2.images.get(rerun.outputs['ami-id']!)!.tags,
        'golden-ami:completed',
      ),
    ).toBe(true);
  });
});
