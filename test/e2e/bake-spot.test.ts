// bake-ami through dist against localcloud: spot: true runs the builder on a persistent Spot request
// that is cancelled before the builder is terminated (success and failure alike), and falls back to
// On-Demand, saying so, when there is no Spot capacity.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localcloudEnv, runActionStep, type ActionRun } from '../harness/run-action.js';
import { spotOf } from '../localcloud/aws/ec2-spot.js';
import { start, type Localcloud } from '../localcloud/index.js';
import { expectRefusedWithoutCalls } from './bake-refusals.js';

jest.setTimeout(120_000);

let lc: Localcloud;
let workdir: string;

beforeAll(async () => {
  lc = await start({ port: 0 });
  workdir = mkdtempSync(join(tmpdir(), 'bake-e2e-spot-'));
});
afterAll(async () => {
  await lc.stop();
  rmSync(workdir, { recursive: true, force: true });
});

const SOURCE = 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';
const region = () => lc.world.region('us-east-1');
const bakeStep = (name: string, inputs: Record<string, string>): Promise<ActionRun> =>
  runActionStep('bake-ami', {
    inputs: { name, 'source-ami': SOURCE, 'poll-interval': '0.05', spot: 'true', ...inputs },
    env: localcloudEnv(lc.url),
    workdir,
  });

/** The builder's Spot request as localcloud holds it. */
const requestOf = (builderId: string) => {
  const id = region().ec2.instances.get(builderId)?.spotInstanceRequestId;
  return id ? spotOf(region()).requests.get(id) : undefined;
};

describe('bake-ami e2e: spot', () => {
  it('bakes on a persistent Spot request, cancelled before the builder is terminated', async () => {
    const r = await bakeStep('spot-ok', { 'user-data': '#!/bin/bash\nshutdown -h now' });
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    const builderId = r.outputs['builder-instance-id']!;
    expect(r.log).toContain(`Launched builder ${builderId} (t3.medium, Spot)`);
    expect(requestOf(builderId)).toMatchObject({
      type: 'persistent',
      interruptionBehavior: 'stop',
      state: 'cancelled',
    });
    expect(region().ec2.instances.get(builderId)!.state).toMatch(/terminated|shutting-down/);
    expect(lc.world.region('us-east-1').ec2.images.get(r.outputs['ami-id']!)!.state).toBe('available');
  });

  it('a failed Spot bake cancels the request too', async () => {
    const r = await bakeStep('spot-fail', {
      'user-data':
        '#!/bin/bash\n# localcloud: console BAKE-FAILED: broken\n# localcloud: hang\nshutdown -h now',
    });
    expect(r.exitCode).toBe(1);
    const builderId = /Launched builder (i-\w+)/.exec(r.log)![1]!;
    expect(requestOf(builderId)?.state).toBe('cancelled');
    expect(region().ec2.instances.get(builderId)!.state).toMatch(/terminated|shutting-down/);
  });

  it('no Spot capacity: the builder is launched On-Demand and the log says so', async () => {
    spotOf(region()).capacity = 'insufficient';
    try {
      const r = await bakeStep('spot-none', { 'user-data': '#!/bin/bash\nshutdown -h now' });
      expect(r.errors).toEqual([]);
      expect(r.exitCode).toBe(0);
      expect(r.warnings).toContainEqual(
        expect.stringMatching(
          /^spot: no Spot capacity for t3\.medium \(.*InsufficientInstanceCapacity.*\); launching the builder On-Demand instead\.$/,
        ),
      );
      const builderId = r.outputs['builder-instance-id']!;
      expect(region().ec2.instances.get(builderId)!.spotInstanceRequestId).toBeUndefined();
      expect(r.log).toContain(`Launched builder ${builderId} (t3.medium) from`);
    } finally {
      spotOf(region()).capacity = 'available';
    }
  });

  it.each([
    ['spot not a boolean', { spot: 'yes' }, /^spot: "yes" is not a boolean/],
    [
      'spot with packer',
      { engine: 'packer', 'packer-template': 'x.json', 'user-data': '' },
      /^spot: needs engine: native/,
    ],
  ])('%s: one line naming the input, 0 AWS calls', async (_, inputs, message) => {
    await expectRefusedWithoutCalls(
      lc,
      () => bakeStep('bad', { 'user-data': '#!/bin/bash\nshutdown -h now', ...inputs }),
      message,
    );
  });
});
