// bake-ami through dist against localcloud: every failure names its phase and leaves nothing,
// and cancellation (SIGINT, SIGTERM, kill, then the post step) at each phase leaves nothing.
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localcloudEnv, runActionStep, type ActionRun, type CancelPlan } from '../harness/run-action.js';
import { start, type Localcloud } from '../localcloud/index.js';
import type { Tag } from '../localcloud/state.js';

jest.setTimeout(180_000);

let lc: Localcloud;
let workdir: string;

beforeAll(async () => {
  lc = await start({ port: 0 });
  workdir = mkdtempSync(join(tmpdir(), 'bake-e2e-fail-'));
});
afterAll(async () => {
  await lc.stop();
  rmSync(workdir, { recursive: true, force: true });
});

const SOURCE = 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';
const has = (tags: Tag[], key: string, value: string) => tags.some((t) => t.Key === key && t.Value === value);

let counter = 0;
function bakeStep(inputs: Record<string, string>, cancel?: CancelPlan): Promise<ActionRun> {
  counter += 1;
  return runActionStep('bake-ami', {
    inputs: { name: `fail-${counter}`, 'source-ami': SOURCE, 'poll-interval': '0.05', ...inputs },
    env: localcloudEnv(lc.url),
    workdir,
    ...(cancel ? { cancel } : {}),
  });
}

/** The step failed with exactly this error; on a mismatch the log's tail shows why. */
function expectFailure(r: ActionRun, message: RegExp): void {
  const tail = r.errors.length === 1 ? '' : r.log.slice(-3000);
  expect({ exitCode: r.exitCode, errors: r.errors, tail }).toEqual({
    exitCode: 1,
    errors: [expect.stringMatching(message)],
    tail: '',
  });
}

/** Nothing of this bake is left: no live builder, no image, no snapshot. */
function expectNothingLeft(r: ActionRun): void {
  const bakeId = r.state['bake-id'];
  expect(bakeId).toBeTruthy();
  for (const region of lc.world.regions()) {
    const builders = [...region.ec2.instances.values()].filter((i) =>
      has(i.tags, 'golden-ami:bake-id', bakeId!),
    );
    expect(
      builders.filter((i) => !['terminated', 'shutting-down'].includes(i.state)).map((i) => i.instanceId),
    ).toEqual([]);
    const images = [...region.ec2.images.values()].filter(
      (i) => has(i.tags, 'golden-ami:bake-id', bakeId!) || i.name.startsWith(`fail-${counter}-`),
    );
    expect(images.map((i) => `${i.imageId} ${i.state}`)).toEqual([]);
    const snapshots = [...region.ec2.snapshots.values()].filter((s) =>
      has(s.tags, 'golden-ami:bake-id', bakeId!),
    );
    expect(snapshots.map((s) => s.snapshotId)).toEqual([]);
  }
}

function script(name: string, content: string): string {
  writeFileSync(join(workdir, name), content);
  return name;
}

describe('bake-ami e2e: failures', () => {
  it('a failing provision script fails phase provision with its exit code', async () => {
    const r = await bakeStep({
      'provision-scripts': script('broken.sh', 'echo installing\n# localcloud: exit 3\n'),
    });
    expectFailure(r, /^phase provision failed: provision script broken.sh failed \(exit code 3/);
    expectNothingLeft(r);
    expect(r.post?.exitCode).toBe(0);
  });

  it('the failure marker on the console fails phase provision at once', async () => {
    const r = await bakeStep({
      'user-data':
        '#!/bin/bash\n# localcloud: console BAKE-FAILED: nginx did not install\n# localcloud: hang\nshutdown -h now',
    });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([
      expect.stringMatching(
        /^phase provision failed: builder i-\w+ printed the failure marker "BAKE-FAILED": BAKE-FAILED: nginx did not install$/,
      ),
    ]);
    expectNothingLeft(r);
  });

  it('a builder that terminates fails phase provision', async () => {
    const r = await bakeStep({ 'user-data': '#!/bin/bash\n# localcloud: terminate\nshutdown -h now' });
    expectFailure(r, /^phase provision failed: builder i-\w+ terminated during provision/);
    expectNothingLeft(r);
  });

  it('a failed image fails phase image with AWS reason; image and snapshots removed', async () => {
    const r = await bakeStep({
      'user-data': '#!/bin/bash\n# localcloud: image-fail snapshot of /dev/xvda failed\nshutdown -h now',
    });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([
      expect.stringMatching(
        /^phase image failed: image ami-\w+ in us-east-1 is failed \(.*snapshot of \/dev\/xvda failed\)$/,
      ),
    ]);
    expectNothingLeft(r);
    // The summary shows how far each phase got and what was cleaned up, then the error.
    expect(r.summary).toMatch(/bake-ami: failed after/);
    expect(r.summary).toMatch(/\| image +\| [\d.ms]+ +\| failed +\|/);
    expect(r.summary).toMatch(new RegExp(`builder \`${r.state['builder-instance-id']}\` terminated`));
    expect(r.summary).toMatch(/image `ami-\w+` deregistered/);
    expect(r.summary).toMatch(/❌ bake-ami: failed/);
  });

  it('a disabled image ends the image wait at once (no timeout); image and snapshots removed', async () => {
    const r = await bakeStep({
      'user-data': '#!/bin/bash\nshutdown -h now',
      tags: 'localcloud:image-state=disabled',
      timeout: '30m',
    });
    expectFailure(r, /^phase image failed: image ami-\w+ in us-east-1 is disabled \(/);
    expectNothingLeft(r);
  });

  it('a hang runs out of timeout, naming the phase', async () => {
    const r = await bakeStep({
      'user-data': '#!/bin/bash\n# localcloud: hang\nshutdown -h now',
      timeout: '1m',
      'poll-interval': '1',
    });
    expectFailure(r, /^timeout \(1m\) ran out during phase provision: .*last seen: running/);
    expectNothingLeft(r);
  });
});

describe('bake-ami e2e: Windows over Run Command fails loudly (issue 27)', () => {
  const WINDOWS = 'resolve:ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base';
  const windowsBake = (file: string, content: string) =>
    bakeStep({
      'source-ami': WINDOWS,
      'provision-scripts': script(file, content),
      'iam-instance-profile': 'golden-ami-builder',
    });
  const builderOf = (r: ActionRun) =>
    lc.world.region('us-east-1').ec2.instances.get(r.state['builder-instance-id']!)!;
  const commandOn = (instanceId: string, comment: RegExp) =>
    [...lc.world.region('us-east-1').ssm.commands.values()].find(
      (c) => c.instanceIds.includes(instanceId) && comment.test(c.comment ?? ''),
    )!;

  it('a failing EC2Launch sysprep fails phase provision with its exit code and stderr within two polls; nothing left', async () => {
    const r = await windowsBake(
      'sysprep-breaks.ps1',
      "echo 'bake: configuring'\n# localcloud: sysprep-fail 5\n",
    );
    expectFailure(
      r,
      /^phase provision failed: EC2Launch sysprep failed on builder i-\w+ \(exit code 5\): ec2launch\.exe : sysprep failed: exit status 5$/,
    );
    // The sysprep invocation's end, then at most two reads of it.
    const builder = builderOf(r).instanceId;
    const sysprep = commandOn(builder, /sysprep/);
    const endedAt = sysprep.invocations.get(builder)!.finishedAt!;
    const reads = lc.logs.calls
      .query({ operation: 'GetCommandInvocation' })
      .filter((c) => c.ts >= endedAt && (c.params as { CommandId?: string }).CommandId === sysprep.commandId);
    expect(reads.length).toBeGreaterThanOrEqual(1);
    expect(reads.length).toBeLessThanOrEqual(2);
    expectNothingLeft(r);
  });

  it('a script exiting 3010 reboots the builder and is run again; the bake goes on and succeeds', async () => {
    const r = await windowsBake(
      'reboots.ps1',
      "echo 'bake: installed, a reboot completes it'\n# localcloud: exit 3010\n",
    );
    expect({ exit: r.exitCode, errors: r.errors }).toEqual({ exit: 0, errors: [] });
    const builder = builderOf(r);
    expect(builder.console.some((l) => /reboot: Restarting system \(SSM Agent, exit 3010\)/.test(l))).toBe(
      true,
    );
    expect(commandOn(builder.instanceId, /reboots\.ps1/).invocations.get(builder.instanceId)).toMatchObject({
      status: 'Success',
      rebooted: true,
    });
    expect(lc.world.region('us-east-1').ec2.images.get(r.outputs['ami-id']!)?.state).toBe('available');
  });
});

describe('bake-ami e2e: cancellation leaves nothing behind', () => {
  const slow = '#!/bin/bash\n# localcloud: provision-ms 1500\nshutdown -h now';
  // The phase the signal lands in: the step may have moved on by the time it arrives.
  const phases: [string, RegExp][] = [
    ['source', /::group::Resolve the source image/],
    ['launch|provision', /Launched builder i-/],
    ['provision', /builder i-\w+: running/],
    ['image', /Creating image ami-/],
    ['copy', /Copying ami-\w+ to eu-west-1/],
  ];

  it.each(phases)('SIGINT during phase %s: main cleans up', async (phase, whenOutput) => {
    const r = await bakeStep({ 'user-data': slow, 'copy-to-regions': 'eu-west-1' }, { whenOutput });
    expect(r.exitCode).toBe(1);
    expectFailure(r, new RegExp(`^cancelled by SIGINT during phase (${phase})`));
    expectNothingLeft(r);
    expect(r.post?.exitCode).toBe(0);
  });

  it.each(phases.slice(1))(
    'SIGINT then an early kill during phase %s: the post step cleans up',
    async (_phase, whenOutput) => {
      const r = await bakeStep(
        { 'user-data': slow, 'copy-to-regions': 'eu-west-1' },
        { whenOutput, sigtermAfterMs: 1, killAfterMs: 1 },
      );
      expect(r.exitCode === 1 || r.killedBy !== null).toBe(true);
      expectNothingLeft(r);
      expect(r.post?.exitCode).toBe(0);
    },
  );
});

describe('bake-ami e2e: cloud faults', () => {
  afterEach(() => lc.faults.clear());

  it('throttling, 5xx and lost responses on create calls still give one AMI from one builder', async () => {
    lc.faults.add({ service: 'ec2', operation: 'Describe*', kind: 'throttle', rate: 0.3 });
    lc.faults.add({ service: 'ssm', kind: 'error', status: 503, rate: 0.2 });
    // The work is done but the answer is lost: the SDK's retry must not make a second one.
    lc.faults.add({ service: 'ec2', operation: 'RunInstances', kind: 'drop', after: true, count: 1 });
    lc.faults.add({
      service: 'ec2',
      operation: 'CreateImage',
      kind: 'error',
      status: 503,
      after: true,
      count: 1,
    });
    const r = await runActionStep('bake-ami', {
      inputs: {
        name: 'faulty',
        'source-ami': SOURCE,
        'user-data': '#!/bin/bash\nshutdown -h now',
        'poll-interval': '0.05',
      },
      env: { ...localcloudEnv(lc.url), AWS_MAX_ATTEMPTS: '8' },
      workdir,
    });
    expect({ exitCode: r.exitCode, errors: r.errors }).toEqual({ exitCode: 0, errors: [] });
    const ec2 = lc.world.region('us-east-1').ec2;
    const builders = [...ec2.instances.values()].filter((i) =>
      has(i.tags, 'golden-ami:bake-id', r.state['bake-id']!),
    );
    expect(builders.map((i) => i.instanceId)).toEqual([r.outputs['builder-instance-id']]);
    const images = [...ec2.images.values()].filter((i) => i.name.startsWith('faulty-'));
    expect(images.map((i) => `${i.imageId} ${i.state}`)).toEqual([`${r.outputs['ami-id']} available`]);
    // Both create calls really were answered with a fault and retried.
    for (const operation of ['RunInstances', 'CreateImage'])
      expect(
        lc.logs.calls.query({ operation }).filter((c) => c.status >= 400 || c.fault).length,
      ).toBeGreaterThan(0);
    expect(lc.logs.calls.query({ operation: 'CreateImage' }).map((c) => c.errorCode ?? 'ok')).toContain(
      'InvalidAMIName.Duplicate',
    );
  });
});
