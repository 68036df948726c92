// Windows fast launch through dist against localcloud: bake-ami enables it on the AMI and its copy
// (and refuses a Linux image before making anything); retire-amis disables it before deregistering.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  CreateTagsCommand,
  DescribeFastLaunchImagesCommand,
  EC2Client,
  EnableFastLaunchCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../harness/action-metadata.js';
import { localcloudEnv, runActionStep, type ActionRun } from '../harness/run-action.js';
import { start, type Localcloud } from '../localcloud/index.js';
import { seedImage } from '../localcloud/seed.js';
import { clientConfig } from '../localcloud/test-support.js';
import { expectRefusedWithoutCalls } from './bake-refusals.js';

jest.setTimeout(120_000);

let lc: Localcloud;
let workdir: string;

beforeAll(async () => {
  lc = await start({ port: 0 });
  workdir = mkdtempSync(join(tmpdir(), 'bake-e2e-fast-launch-'));
  cpSync(join(repoRoot, 'image'), join(workdir, 'image'), { recursive: true });
});
afterAll(async () => {
  await lc.stop();
  rmSync(workdir, { recursive: true, force: true });
});

const WINDOWS = 'resolve:ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base';
const LINUX = 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';
const DAY = 86_400_000;
const ec2 = (region: string) => new EC2Client(clientConfig(lc, region));
const fastLaunchState = async (region: string, imageId: string) =>
  (await ec2(region).send(new DescribeFastLaunchImagesCommand({ ImageIds: [imageId] }))).FastLaunchImages?.[0]
    ?.State;

const bakeStep = (inputs: Record<string, string>): Promise<ActionRun> =>
  runActionStep('bake-ami', {
    inputs: { name: 'win-fast', 'poll-interval': '0.05', 'windows-fast-launch': 'true', ...inputs },
    env: localcloudEnv(lc.url),
    workdir,
  });

describe('bake-ami e2e: windows-fast-launch', () => {
  it('enables fast launch on the Windows AMI and its copy', async () => {
    const r = await bakeStep({
      'source-ami': WINDOWS,
      'user-data-file': 'image/windows/user-data.ps1',
      'copy-to-regions': 'eu-west-1',
      'fast-launch-max-parallel': '8',
    });
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    for (const [region, id] of Object.entries(JSON.parse(r.outputs.amis!) as Record<string, string>))
      expect(await fastLaunchState(region, id)).toMatch(/^(enabling|enabled)$/);
    const enables = lc.logs.mutations.query({ operation: 'EnableFastLaunch' });
    expect(enables.map((m) => (m.params as { MaxParallelLaunches?: number }).MaxParallelLaunches)).toEqual([
      8, 8,
    ]);
    expect(r.summary).toMatch(/\| Fast launch \| on in us-east-1, eu-west-1 \|/);
  });

  it('a reuse with another fast-launch-max-parallel changes it on the AMI and its copy; the same again changes nothing', async () => {
    const reuse = (max: string) =>
      bakeStep({
        'source-ami': WINDOWS,
        'user-data-file': 'image/windows/user-data.ps1',
        'copy-to-regions': 'eu-west-1',
        'fast-launch-max-parallel': max,
      });
    const before = lc.logs.mutations.query({ operation: 'EnableFastLaunch' }).length;
    const r = await reuse('12');
    expect({ exit: r.exitCode, errors: r.errors, reused: r.outputs.reused }).toEqual({
      exit: 0,
      errors: [],
      reused: 'true',
    });
    const enables = lc.logs.mutations.query({ operation: 'EnableFastLaunch' }).slice(before);
    expect(enables.map((m) => (m.params as { MaxParallelLaunches?: number }).MaxParallelLaunches)).toEqual([
      12, 12,
    ]);
    for (const [region, id] of Object.entries(JSON.parse(r.outputs.amis!) as Record<string, string>)) {
      const out = await ec2(region).send(new DescribeFastLaunchImagesCommand({ ImageIds: [id] }));
      expect(out.FastLaunchImages?.[0]?.MaxParallelLaunches).toBe(12);
    }
    const again = await reuse('12');
    expect(again.exitCode).toBe(0);
    expect(lc.logs.mutations.query({ operation: 'EnableFastLaunch' }).length).toBe(before + 2);
  });

  it('a Linux image is refused in one line, before any mutating call (the janitor too)', async () => {
    // An expired builder of an earlier bake: the janitor would terminate it, were it to run first.
    const leftover = await ec2('us-east-1').send(
      new RunInstancesCommand({
        ImageId: seedImage(lc.world.region('us-east-1'), { name: 'leftover-source' }).imageId,
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              { Key: 'golden-ami:builder', Value: 'earlier' },
              { Key: 'golden-ami:expires-at', Value: '2020-01-01T00:00:00.000Z' },
            ],
          },
        ],
      }),
    );
    const before = lc.logs.mutations.query().length;
    const r = await bakeStep({ 'source-ami': LINUX, 'user-data': '#!/bin/bash\nshutdown -h now' });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([
      expect.stringMatching(
        /^Invalid input: windows-fast-launch: the image is linux .*fast launch is for Windows AMIs/,
      ),
    ]);
    expect(lc.logs.mutations.query().length).toBe(before);
    await ec2('us-east-1').send(
      new TerminateInstancesCommand({ InstanceIds: [leftover.Instances![0]!.InstanceId!] }),
    );
  });

  it('fewer than 6 parallel launches: one line, 0 AWS calls', async () => {
    await expectRefusedWithoutCalls(
      lc,
      () => bakeStep({ 'source-ami': WINDOWS, 'user-data': 'x', 'fast-launch-max-parallel': '5' }),
      /^fast-launch-max-parallel: 5 is out of range; accepted: 6 to 10000/,
    );
  });
});

describe('retire-amis e2e: fast launch is disabled before the AMI is deregistered', () => {
  it('DisableFastLaunch comes before DeregisterImage for each retired Windows AMI', async () => {
    const region = lc.world.region('us-east-1');
    const ids = [0, 1, 2, 3].map((i) => {
      const image = seedImage(region, {
        name: `winret-${i}`,
        windows: true,
        creationDate: lc.world.clock.now() - (100 - i) * DAY,
        tags: [
          { Key: 'golden-ami:name', Value: 'winret' },
          { Key: 'golden-ami:bake-id', Value: `winret-run${i}` },
        ],
      });
      for (const m of image.blockDeviceMappings)
        region.ec2.snapshots
          .get(m.Ebs!.SnapshotId!)!
          .tags.push({ Key: 'golden-ami:bake-id', Value: `winret-run${i}` });
      return image.imageId;
    });
    const old = ids.slice(0, 2);
    for (const ImageId of old)
      await ec2('us-east-1').send(new EnableFastLaunchCommand({ ImageId, ResourceType: 'snapshot' }));
    const retire = () =>
      runActionStep('retire-amis', {
        inputs: { names: 'winret', regions: 'us-east-1', 'keep-count': '2', 'max-retire-percent': '60' },
        env: localcloudEnv(lc.url),
        timeoutMs: 90_000,
      });
    const first = await retire();
    expect(first.errors).toEqual([]);
    const eightDaysAgo = new Date(Date.now() - 8 * DAY).toISOString();
    await ec2('us-east-1').send(
      new CreateTagsCommand({
        Resources: old,
        Tags: [{ Key: 'golden-ami:disabled-at', Value: eightDaysAgo }],
      }),
    );
    const since = lc.logs.mutations.query().at(-1)?.seq ?? 0;
    const second = await retire();
    expect(second.errors).toEqual([]);
    const ops = lc.logs.mutations
      .query({ since })
      .filter((m) => ['DisableFastLaunch', 'DeregisterImage'].includes(m.operation))
      .map((m) => `${m.operation} ${(m.params as { ImageId: string }).ImageId}`);
    expect(ops).toEqual(old.flatMap((id) => [`DisableFastLaunch ${id}`, `DeregisterImage ${id}`]));
  });
});
