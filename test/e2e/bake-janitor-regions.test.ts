// bake-ami through dist against localcloud: a bake killed outright while copying leaves an
// unfinished copy; a later bake that copies nowhere still finds and retires it, since the killed
// bake's AMI recorded the regions it copies to (golden-ami:copy-regions).
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localcloudEnv, runActionStep, type CancelPlan } from '../harness/run-action.js';
import { start, type Localcloud } from '../localcloud/index.js';

jest.setTimeout(180_000);

let lc: Localcloud;
let workdir: string;

beforeAll(async () => {
  lc = await start({ port: 0 });
  workdir = mkdtempSync(join(tmpdir(), 'bake-e2e-janitor-regions-'));
});
afterAll(async () => {
  await lc.stop();
  rmSync(workdir, { recursive: true, force: true });
});

const bake = (name: string, inputs: Record<string, string>, cancel?: CancelPlan) =>
  runActionStep('bake-ami', {
    inputs: {
      name,
      'source-ami': 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
      'poll-interval': '0.05',
      'user-data': '#!/bin/bash\necho BAKE-SUCCEEDED > /dev/console\nshutdown -h now',
      ...inputs,
    },
    env: localcloudEnv(lc.url),
    workdir,
    ...(cancel ? { cancel, post: false } : {}),
  });

/** The images of one bake in a region that are not deregistered. */
const imagesOf = (region: string, bakeId: string) =>
  [...lc.world.region(region).ec2.images.values()].filter(
    (i) =>
      i.state !== 'deregistered' && i.tags.some((t) => t.Key === 'golden-ami:bake-id' && t.Value === bakeId),
  );

/** Time passes: the bake's expiry is behind us, in every region it reached. */
function expire(bakeId: string, regions: string[]): void {
  for (const region of regions) {
    const { ec2 } = lc.world.region(region);
    for (const r of [...ec2.images.values(), ...ec2.snapshots.values()])
      for (const t of r.tags)
        if (t.Key === 'golden-ami:expires-at' && r.tags.some((x) => x.Value === bakeId))
          t.Value = '2020-01-01T00:00:00.000Z';
  }
}

/** A bake killed outright (no post step) while copying to `region`; its bake id. */
async function killedWhileCopying(name: string, region: string): Promise<string> {
  const killed = await bake(
    name,
    { 'copy-to-regions': region },
    { whenOutput: new RegExp(`Copying ami-\\w+ to ${region}`), firstSignal: 'SIGKILL' },
  );
  expect(killed.killedBy).toBe('SIGKILL');
  return killed.state['bake-id']!;
}

describe('bake-ami e2e: the janitor looks in every region a bake copied to', () => {
  it("retires a killed bake's copy in a region this run does not copy to", async () => {
    const bakeId = await killedWhileCopying('jr-killed', 'ap-southeast-2');
    const copies = imagesOf('ap-southeast-2', bakeId);
    expect(copies).toHaveLength(1);
    expire(bakeId, ['us-east-1', 'ap-southeast-2']);

    const next = await bake('jr-next', {});
    expect({ exit: next.exitCode, errors: next.errors }).toEqual({ exit: 0, errors: [] });
    expect(next.log).toMatch(/janitor: earlier bakes copied to ap-southeast-2 too: looking there\./);
    expect(next.warnings).toContainEqual(
      `janitor: retiring ${copies[0]!.imageId} in ap-southeast-2 of bake ${bakeId}, which never completed (expired 2020-01-01T00:00:00.000Z).`,
    );
    expect(imagesOf('ap-southeast-2', bakeId)).toEqual([]);
    expect(imagesOf('us-east-1', bakeId)).toEqual([]);
    const snapshots = [...lc.world.region('ap-southeast-2').ec2.snapshots.values()].filter((s) =>
      s.tags.some((t) => t.Key === 'golden-ami:bake-id' && t.Value === bakeId),
    );
    expect(snapshots.map((s) => s.snapshotId)).toEqual([]);
  });

  it("keeps the bake region's image while its copy could not be removed, so a later janitor still finds the copy", async () => {
    const bakeId = await killedWhileCopying('jr-stuck', 'eu-west-1');
    const [home] = imagesOf('us-east-1', bakeId);
    const [copy] = imagesOf('eu-west-1', bakeId);
    expect([home, copy].every(Boolean)).toBe(true);
    expire(bakeId, ['us-east-1', 'eu-west-1']);

    const fault = lc.faults.add({
      service: 'ec2',
      region: 'eu-west-1',
      operation: 'DeregisterImage',
      kind: 'error',
      status: 503,
    });
    const during = await bake('jr-during', {});
    lc.faults.remove(fault.id);
    expect({ exit: during.exitCode, errors: during.errors }).toEqual({ exit: 0, errors: [] });
    expect(during.warnings).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^janitor: keeping ${home!.imageId} in us-east-1 of bake ${bakeId} for now: a copy of it may remain`,
        ),
      ),
    );
    expect(imagesOf('us-east-1', bakeId).map((i) => i.imageId)).toEqual([home!.imageId]);
    expect(imagesOf('eu-west-1', bakeId).map((i) => i.imageId)).toEqual([copy!.imageId]);

    const after = await bake('jr-after', {});
    expect({ exit: after.exitCode, errors: after.errors }).toEqual({ exit: 0, errors: [] });
    expect(imagesOf('eu-west-1', bakeId)).toEqual([]);
    expect(imagesOf('us-east-1', bakeId)).toEqual([]);
  });
});
