// bake-ami through dist against localcloud: the test stage. A failing test script leaves no image
// in the bake region or any copy region and fails the bake in phase test; a passing test comes
// before any copy; a cancel during the test leaves nothing; the test is in the fingerprint.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localcloudEnv, runActionStep, type ActionRun, type CancelPlan } from '../harness/run-action.js';
import { start, type Localcloud } from '../localcloud/index.js';
import type { Tag } from '../localcloud/state.js';
import { expectRefusedWithoutCalls } from './bake-refusals.js';

jest.setTimeout(120_000);

let lc: Localcloud;
let workdir: string;

beforeAll(async () => {
  lc = await start({ port: 0, instanceHttpPort: HTTP_PORT });
  workdir = mkdtempSync(join(tmpdir(), 'bake-e2e-test-stage-'));
  writeFileSync(join(workdir, 'test-fails.sh'), 'echo checking nginx\n# localcloud: exit 1\n');
  writeFileSync(join(workdir, 'test-passes.sh'), 'echo checking nginx\necho ok\n');
});
afterAll(async () => {
  await lc.stop();
  rmSync(workdir, { recursive: true, force: true });
});

/** Instances answer /health here (localcloud's instance HTTP; unhealthy when the image is tagged so). */
const HTTP_PORT = 18613;
const SOURCE = 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';
const BUILD = '#!/bin/bash\necho provisioned\nshutdown -h now';
const tag = (tags: Tag[], key: string) => tags.find((t) => t.Key === key)?.Value;
const bakeStep = (name: string, inputs: Record<string, string>, cancel?: CancelPlan): Promise<ActionRun> =>
  runActionStep('bake-ami', {
    inputs: {
      name,
      'source-ami': SOURCE,
      'user-data': BUILD,
      'poll-interval': '0.05',
      'iam-instance-profile': 'golden-ami-builder',
      'copy-to-regions': 'eu-west-1',
      ...inputs,
    },
    env: localcloudEnv(lc.url),
    workdir,
    ...(cancel ? { cancel } : {}),
  });

/** What of this bake is still there, in every region. */
function leftOf(bakeId: string) {
  return lc.world
    .regions()
    .flatMap((region) => [
      ...[...region.ec2.instances.values()]
        .filter(
          (i) =>
            tag(i.tags, 'golden-ami:bake-id') === bakeId &&
            !['terminated', 'shutting-down'].includes(i.state),
        )
        .map((i) => `instance ${i.instanceId} ${i.state}`),
      ...[...region.ec2.images.values()]
        .filter((i) => tag(i.tags, 'golden-ami:bake-id') === bakeId)
        .map((i) => `image ${i.imageId} in ${region.name}`),
      ...[...region.ec2.snapshots.values()]
        .filter((s) => tag(s.tags, 'golden-ami:bake-id') === bakeId)
        .map((s) => `snapshot ${s.snapshotId}`),
    ]);
}

const mutations = (since: number) => lc.logs.mutations.query({ since });
const lastSeq = () => lc.logs.mutations.query().at(-1)?.seq ?? 0;

describe('bake-ami e2e: test stage', () => {
  it('a test script exiting 1 fails the bake in phase test and leaves no image anywhere, nothing copied', async () => {
    const since = lastSeq();
    const r = await bakeStep('tested-fail', { 'test-script': 'test-fails.sh' });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([expect.stringMatching(/^phase test failed: .*test-fails\.sh.*exit code 1/)]);
    expect(r.post?.exitCode).toBe(0);
    expect(leftOf(r.state['bake-id']!)).toEqual([]);
    expect(mutations(since).filter((m) => m.operation === 'CopyImage')).toEqual([]);
    expect(r.summary).toMatch(/\| test \| [\d.]+s \| failed \|/);
  });

  it('a passing test: the image is completed, and the copy is made only after the test instance is gone', async () => {
    const since = lastSeq();
    const r = await bakeStep('tested-ok', { 'test-script': 'test-passes.sh' });
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    const amiId = r.outputs['ami-id']!;
    const image = lc.world.region('us-east-1').ec2.images.get(amiId)!;
    expect(tag(image.tags, 'golden-ami:completed')).toBeDefined();
    const ops = mutations(since);
    const testLaunch = ops.find(
      (m) => m.operation === 'RunInstances' && (m.params as { ImageId?: string }).ImageId === amiId,
    );
    expect(testLaunch).toBeDefined();
    // The test instance runs the test, never the build's user data again (provisioning twice, and
    // its shutdown stopping the instance under the test).
    expect(
      (ops.find((m) => m.operation === 'RunInstances')!.params as { UserData?: string }).UserData,
    ).toBeDefined();
    expect((testLaunch!.params as { UserData?: string }).UserData).toBeUndefined();
    const copy = ops.find((m) => m.operation === 'CopyImage')!;
    const terminated = ops.filter((m) => m.operation === 'TerminateInstances');
    expect(copy.seq).toBeGreaterThan(testLaunch!.seq);
    expect(terminated[0]!.seq).toBeLessThan(copy.seq);
    expect(r.summary).toMatch(/\| Test \| passed \(test-passes\.sh on i-\w+/);
    expect(r.summary).toMatch(/\| test \| [\d.]+s \| ok \|/);
    expect(leftOf(r.state['bake-id']!).filter((l) => l.startsWith('instance'))).toEqual([]);
  });

  it('test-health-url: a healthy test instance passes; one not answering fails phase test and leaves no image', async () => {
    const url = `http://{private-ip}:${HTTP_PORT}/health`;
    const ok = await bakeStep('tested-health', { 'test-script': 'test-passes.sh', 'test-health-url': url });
    expect(ok.errors).toEqual([]);
    expect(ok.log).toMatch(/test-health-url .* answered HTTP 200 on i-\w+/);
    const sick = await bakeStep('tested-sick', {
      'test-script': 'test-passes.sh',
      // Nothing listens on that port of the instance.
      'test-health-url': `http://{private-ip}:${HTTP_PORT + 1}/health`,
    });
    expect(sick.errors).toEqual([
      expect.stringMatching(
        /^phase test failed: test-health-url .* did not answer 2xx on test instance i-\w+ \(last: connection refused\)/,
      ),
    ]);
    expect(leftOf(sick.state['bake-id']!)).toEqual([]);
  });

  it('a cancel during the test leaves nothing', async () => {
    const r = await bakeStep(
      'tested-cancel',
      { 'test-user-data': '#!/bin/bash\n# localcloud: hang\nshutdown -h now', 'iam-instance-profile': '' },
      { whenOutput: /Test instance i-\w+ launched/ },
    );
    expect(r.exitCode).not.toBe(0);
    expect(r.post?.exitCode).toBe(0);
    expect(leftOf(r.state['bake-id']!)).toEqual([]);
  });

  it('the test is part of the fingerprint', async () => {
    const plan = (inputs: Record<string, string>) => bakeStep('tested-fp', { 'dry-run': 'true', ...inputs });
    const runs: ActionRun[] = [];
    for (const inputs of [
      {},
      { 'test-script': 'test-passes.sh' },
      { 'test-script': 'test-fails.sh' },
    ] as Record<string, string>[])
      runs.push(await plan(inputs));
    expect(runs.map((r) => r.errors)).toEqual([[], [], []]);
    const prints = new Set(runs.map((r) => r.outputs.fingerprint));
    expect(prints.size).toBe(3);
  });

  it.each([
    [
      'two test forms',
      { 'test-user-data': 'x', 'test-script': 'test-passes.sh' },
      /^test-user-data and test-script: give at most one/,
    ],
    [
      'test script without a profile',
      { 'test-script': 'test-passes.sh', 'iam-instance-profile': '' },
      /^test-script: needs iam-instance-profile/,
    ],
    [
      'health url without a test script',
      { 'test-user-data': 'x', 'test-health-url': 'http://{private-ip}/health', 'iam-instance-profile': '' },
      /^test-health-url: needs test-script/,
    ],
    [
      'health url to another host',
      { 'test-script': 'test-passes.sh', 'test-health-url': 'http://example.com/' },
      /^test-health-url: "http:\/\/example.com\/" is not accepted/,
    ],
    [
      'missing test script',
      { 'test-script': 'nope.sh' },
      /^test-script: cannot read "nope.sh" \(no such file\)/,
    ],
  ])('%s: one line naming the input, 0 AWS calls', async (_, inputs, message) => {
    await expectRefusedWithoutCalls(lc, () => bakeStep('bad', inputs), message);
  });
});
