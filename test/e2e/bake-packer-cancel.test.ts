// Issue 27: a Packer bake cancelled as the runner cancels (SIGINT, SIGTERM 7.5 s later, SIGKILL
// 2.5 s after that, then the post step), during the build and during CreateImage, leaves nothing
// of the bake: no key pair, security group, instance, image or snapshot; and no Packer running.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../harness/action-metadata.js';
import type { CancelPlan } from '../harness/run-action.js';
import { start, type Localcloud } from '../localcloud/index.js';
import { packerBakeStep } from '../harness/packer-shim.js';

jest.setTimeout(240_000);

let lc: Localcloud;
let workdir: string;

beforeAll(async () => {
  // Termination as slow as Packer's cleanup finds it on AWS relative to the runner's 10 s: Packer
  // cannot finish its own cleanup before the step is killed.
  lc = await start({ port: 0, durations: { instanceTerminate: 6_000, imageAvailable: 20_000 } });
  workdir = mkdtempSync(join(tmpdir(), 'bake-e2e-packer-cancel-'));
  cpSync(join(repoRoot, 'image'), join(workdir, 'image'), { recursive: true });
});
afterAll(async () => {
  await lc.stop();
  rmSync(workdir, { recursive: true, force: true });
});

const cancelledBake = (name: string, cancel: CancelPlan) =>
  packerBakeStep(lc.url, workdir, { name, cancel, maxAttempts: 300 });

/** Everything of the bake still in the cloud, by kind. */
function remains(bakeId: string, namePrefix: string, before: { keys: Set<string>; groups: Set<string> }) {
  const ec2 = lc.world.region('us-east-1').ec2;
  const ofBake = (tags: { Key?: string; Value?: string }[]) =>
    tags.some((t) => t.Key === 'golden-ami:bake-id' && t.Value === bakeId);
  // Every image the bake created, deregistered too: their snapshots must be gone with them.
  const ours = [...ec2.images.values()].filter((i) => i.name.startsWith(namePrefix));
  return {
    keyPairs: [...ec2.keyPairs.keys()].filter((k) => !before.keys.has(k)),
    securityGroups: [...ec2.securityGroups.values()]
      .filter((g) => !before.groups.has(g.groupId))
      .map((g) => g.groupName),
    instances: [...ec2.instances.values()]
      .filter((i) => ofBake(i.tags) && !['terminated', 'shutting-down'].includes(i.state))
      .map((i) => `${i.instanceId} ${i.state}`),
    images: [...ec2.images.values()]
      .filter((i) => i.name.startsWith(namePrefix) && i.state !== 'deregistered')
      .map((i) => `${i.imageId} ${i.state}`),
    snapshots: [...ec2.snapshots.values()]
      .filter((s) => ours.some((i) => s.description.includes(i.imageId)))
      .map((s) => s.snapshotId),
  };
}

/** Packer processes of this bake (its bake_id is on their command line). */
const packersRunning = (bakeId: string) => {
  try {
    return execFileSync('pgrep', ['-f', `packer build -machine-readable .*bake_id=${bakeId} `], {
      encoding: 'utf8',
    }).trim();
  } catch {
    return '';
  }
};

describe('bake-ami e2e: a cancelled Packer bake leaves nothing', () => {
  it.each([
    ['during the build', 'packer-cancel-build', /Instance ID: i-/],
    ['during CreateImage', 'packer-cancel-image', /Creating AMI|Waiting for AMI to become ready/],
  ])(
    'cancelled %s: no key pair, security group, instance, image or snapshot remains',
    async (_when, name, at) => {
      const ec2 = lc.world.region('us-east-1').ec2;
      const before = {
        keys: new Set(ec2.keyPairs.keys()),
        groups: new Set([...ec2.securityGroups.values()].map((g) => g.groupId)),
      };
      const r = await cancelledBake(name, { whenOutput: at });
      expect(r.exitCode).not.toBe(0);
      // Packer had made its key pair and group: there was something to leak.
      const made = lc.logs.mutations.query({ operation: 'CreateKeyPair' }).length;
      expect(made).toBeGreaterThan(0);
      expect({ post: r.post?.exitCode, errors: r.post?.errors }).toEqual({ post: 0, errors: [] });
      expect(remains(r.state['bake-id']!, `${name}-`, before)).toEqual({
        keyPairs: [],
        securityGroups: [],
        instances: [],
        images: [],
        snapshots: [],
      });
      expect(packersRunning(r.state['bake-id']!)).toBe('');
    },
  );

  it('killed outright during the build (no SIGINT, no post step): Packer is interrupted, makes no image and ends; its builder is left to the janitor', async () => {
    const r = await packerBakeStep(lc.url, workdir, {
      name: 'packer-killed',
      cancel: { whenOutput: /Instance ID: i-/, firstSignal: 'SIGKILL' },
      post: false,
      maxAttempts: 300,
    });
    expect(r.killedBy).toBe('SIGKILL');
    const bakeId = r.state['bake-id']!;
    // Packer is not orphaned to build on: the watch interrupts it and it ends by itself.
    for (let waited = 0; packersRunning(bakeId) && waited < 90_000; waited += 500)
      await new Promise((res) => setTimeout(res, 500));
    expect(packersRunning(bakeId)).toBe('');
    const ec2 = lc.world.region('us-east-1').ec2;
    expect([...ec2.images.values()].filter((i) => i.name.startsWith('packer-killed-'))).toEqual([]);
    // What its cleanup left is a later bake's janitor's: the builder carries its expiry.
    for (const i of [...ec2.instances.values()].filter((i) =>
      i.tags.some((t) => t.Key === 'golden-ami:bake-id' && t.Value === bakeId),
    ))
      expect(i.tags.find((t) => t.Key === 'golden-ami:expires-at')?.Value).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });
});
