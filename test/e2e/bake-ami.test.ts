// bake-ami through dist against localcloud: Linux user-data and Windows provision-script bakes,
// reuse, and the Packer engine with Debian's packer 1.6.6.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../harness/action-metadata.js';
import { localcloudEnv, runActionStep, type ActionRun } from '../harness/run-action.js';
import { start, type Localcloud } from '../localcloud/index.js';
import type { Tag } from '../localcloud/state.js';

jest.setTimeout(180_000);

let lc: Localcloud;
let workdir: string;

beforeAll(async () => {
  lc = await start({ port: 0 });
  workdir = mkdtempSync(join(tmpdir(), 'bake-e2e-'));
  cpSync(join(repoRoot, 'image'), join(workdir, 'image'), { recursive: true });
});
afterAll(async () => {
  await lc.stop();
  rmSync(workdir, { recursive: true, force: true });
});

const tags = (list: Tag[]) => Object.fromEntries(list.map((t) => [t.Key, t.Value]));

function bakeStep(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun> {
  return runActionStep('bake-ami', {
    inputs: { 'poll-interval': '0.05', ...inputs },
    env: { ...localcloudEnv(lc.url), ...env },
    workdir,
  });
}

/** Every builder this run made is gone or going; nothing pending. */
function expectNothingRunning(): void {
  for (const region of lc.world.regions()) {
    const live = [...region.ec2.instances.values()].filter(
      (i) => !['terminated', 'shutting-down'].includes(i.state),
    );
    expect(live.map((i) => `${i.instanceId} ${i.state}`)).toEqual([]);
    const pending = [...region.ec2.images.values()].filter((i) => i.state === 'pending');
    expect(pending.map((i) => i.imageId)).toEqual([]);
  }
}

const mutations = (since: number, operation?: string) =>
  lc.logs.mutations.query({ since, ...(operation ? { operation } : {}) });
const lastSeq = () => lc.logs.mutations.query().at(-1)?.seq ?? 0;

describe('bake-ami e2e', () => {
  let linux: ActionRun;

  it('bakes a Linux AMI from user data: available, tagged, copied, shared, builder gone', async () => {
    linux = await bakeStep({
      name: 'web',
      'source-ami': 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
      'user-data-file': 'image/linux/user-data.sh',
      tags: 'team=web',
      'copy-to-regions': 'eu-west-1',
      'share-with-accounts': '111122223333',
    });
    expect(linux.errors).toEqual([]);
    expect(linux.exitCode).toBe(0);
    const { outputs } = linux;
    expect(outputs['ami-name']).toMatch(/^web-\d{14}$/);
    expect(outputs.reused).toBe('false');
    expect(outputs['builder-instance-id']).toMatch(/^i-/);
    const amis = JSON.parse(outputs.amis!) as Record<string, string>;
    expect(Object.keys(amis).sort()).toEqual(['eu-west-1', 'us-east-1']);
    expect(amis['us-east-1']).toBe(outputs['ami-id']);
    for (const [region, id] of Object.entries(amis)) {
      const image = lc.world.region(region).ec2.images.get(id)!;
      expect(image.state).toBe('available');
      expect(tags(image.tags)).toMatchObject({
        team: 'web',
        'golden-ami:fingerprint': outputs.fingerprint,
        'golden-ami:source-ami': outputs['source-ami-id'],
        'golden-ami:commit': '0123456789abcdef0123456789abcdef01234567',
        'golden-ami:run-url': 'https://github.com/example/golden-ami/actions/runs/4242',
      });
      expect([...image.launchPermissionUserIds]).toEqual(['111122223333']);
    }
    const snapshots = lc.world.region('us-east-1').ec2.images.get(outputs['ami-id']!)!.blockDeviceMappings;
    const snapshot = lc.world.region('us-east-1').ec2.snapshots.get(snapshots[0]!.Ebs!.SnapshotId!)!;
    expect(tags(snapshot.tags)).toMatchObject({ 'golden-ami:fingerprint': outputs.fingerprint });
    const builder = lc.world.region('us-east-1').ec2.instances.get(outputs['builder-instance-id']!)!;
    expect(builder.metadataOptions.HttpTokens).toBe('required');
    expect(builder.shutdownBehavior).toBe('stop');
    expectNothingRunning();
    expect(linux.summary).toContain(outputs['ami-id']);
    expect(linux.summary).toMatch(/\| provision \| [\d.]+s \| ok \|/);
    expect(linux.post?.exitCode).toBe(0);
  });

  it('a second identical run returns the same AMI, reused, launching nothing', async () => {
    const since = lastSeq();
    const again = await bakeStep({
      name: 'web',
      'source-ami': 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
      'user-data-file': 'image/linux/user-data.sh',
      tags: 'team=web',
      'copy-to-regions': 'eu-west-1',
      'share-with-accounts': '111122223333',
    });
    expect(again.exitCode).toBe(0);
    expect(again.outputs).toMatchObject({
      reused: 'true',
      'ami-id': linux.outputs['ami-id'],
      amis: linux.outputs.amis,
    });
    expect(again.outputs['builder-instance-id']).toBe('');
    expect(mutations(since)).toEqual([]);
  });

  it('bakes a Windows AMI with provision scripts over SSM, ending in EC2Launch sysprep', async () => {
    const since = lastSeq();
    const r = await bakeStep({
      name: 'iis',
      'source-ami': 'resolve:ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base',
      'provision-scripts': [
        'image/windows/provision/01-iis.ps1',
        'image/windows/provision/02-dotnet.ps1',
        'image/windows/provision/03-octopus-tentacle.ps1',
      ].join('\n'),
      'iam-instance-profile': 'golden-ami-builder',
      'copy-to-regions': 'eu-west-1',
      'share-with-accounts': '111122223333',
    });
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    const image = lc.world.region('us-east-1').ec2.images.get(r.outputs['ami-id']!)!;
    expect(image.state).toBe('available');
    expect(image.platform).toBe('windows');
    expect([...image.launchPermissionUserIds]).toEqual(['111122223333']);
    const copy = JSON.parse(r.outputs.amis!) as Record<string, string>;
    expect(lc.world.region('eu-west-1').ec2.images.get(copy['eu-west-1']!)!.state).toBe('available');
    const commands = mutations(since, 'SendCommand').map(
      (m) => m.params as { DocumentName: string; Parameters: { commands: string[] } },
    );
    expect(commands.map((c) => c.DocumentName)).toEqual(Array(4).fill('AWS-RunPowerShellScript'));
    expect(commands[2]!.Parameters.commands[0]).toContain('Tentacle');
    expect(commands[3]!.Parameters.commands[0]).toMatch(/ec2launch\.exe" sysprep --shutdown/);
    // Script output streamed into the log.
    expect(r.log).toContain('bake: Tentacle installed, not registered');
    expectNothingRunning();
  });

  it('bakes with engine: packer (Debian packer 1.6.6) and tags the fingerprint', async () => {
    const r = await bakeStep(
      {
        name: 'packer-web',
        'source-ami-filter': 'al2023-ami-*-kernel-6.1-x86_64',
        engine: 'packer',
        'packer-template': 'image/packer/golden-linux.json',
        'packer-vars': `custom_endpoint_ec2=${lc.url}`,
      },
      {
        CHECKPOINT_DISABLE: '1',
        PACKER_CACHE_DIR: join(workdir, '_packer'),
        AWS_POLL_DELAY_SECONDS: '1',
        AWS_MAX_ATTEMPTS: '120',
      },
    );
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    const image = lc.world.region('us-east-1').ec2.images.get(r.outputs['ami-id']!)!;
    expect(image.state).toBe('available');
    expect(image.name).toBe(r.outputs['ami-name']);
    expect(tags(image.tags)).toMatchObject({
      Builder: 'packer',
      'golden-ami:fingerprint': r.outputs.fingerprint,
    });
    expect(r.log).toContain('amazon-ebs: Creating temporary keypair');
    expectNothingRunning();
  });
});
