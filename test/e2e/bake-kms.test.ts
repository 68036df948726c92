// bake-ami through dist against localcloud: an encrypted AMI shared with other accounts needs a
// customer-managed key per region, refused before any call otherwise; each copy uses its region's key
// and launches in the account it is shared with, which can copy it only with share-snapshots.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { CopyImageCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localcloudEnv, runActionStep } from '../harness/run-action.js';
import { SECOND_ACCOUNT } from '../localcloud/aws/accounts.js';
import { start, type Localcloud } from '../localcloud/index.js';
import { clientConfig } from '../localcloud/test-support.js';

jest.setTimeout(180_000);

let lc: Localcloud;
let workdir: string;

beforeAll(async () => {
  lc = await start({ port: 0 });
  workdir = mkdtempSync(join(tmpdir(), 'bake-e2e-kms-'));
});
afterAll(async () => {
  await lc.stop();
  rmSync(workdir, { recursive: true, force: true });
});

const KEY = (region: string) => `arn:aws:kms:${region}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const bake = (inputs: Record<string, string>) =>
  runActionStep('bake-ami', {
    inputs: {
      name: 'kms',
      'source-ami': 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
      'poll-interval': '0.05',
      'user-data': '#!/bin/bash\nshutdown -h now',
      encrypted: 'true',
      'copy-to-regions': 'eu-west-1, ap-southeast-2',
      'share-with-accounts': '111122223333',
      ...inputs,
    },
    env: localcloudEnv(lc.url),
    workdir,
  });

describe('bake-ami e2e: encrypted and shared', () => {
  it('without customer-managed keys for every region: every problem in one run, zero AWS calls', async () => {
    const before = lc.logs.calls.query().length;
    const r = await bake({ 'kms-key-ids': 'eu-west-1=alias/aws/ebs' });
    expect(r.exitCode).toBe(1);
    const text = r.errors.join('\n');
    expect(text).toMatch(
      /kms-key-id: encrypted: true with share-with-accounts needs a customer-managed key for us-east-1/,
    );
    expect(text).toMatch(/kms-key-ids: eu-west-1: the AWS managed key aws\/ebs cannot be shared/);
    expect(text).toMatch(
      /kms-key-ids: encrypted: true with share-with-accounts needs region=key for copy region ap-southeast-2/,
    );
    expect(lc.logs.calls.query().length).toBe(before);
  });

  it('a key in the wrong region is refused, naming both regions', async () => {
    const r = await bake({
      'kms-key-id': KEY('us-east-1'),
      'kms-key-ids': `eu-west-1=${KEY('us-east-1')}, ap-southeast-2=${KEY('ap-southeast-2')}`,
    });
    expect(r.errors.join('\n')).toMatch(
      /kms-key-ids: the key for eu-west-1 is in us-east-1; KMS keys are regional/,
    );
  });

  // Customer-managed keys localcloud knows, one per region (their policies assumed to grant the account).
  const keys = () =>
    Object.fromEntries(
      ['us-east-1', 'eu-west-1', 'ap-southeast-2'].map((region) => [
        region,
        lc.control.createKmsKey(region).arn,
      ]),
    );
  const sharedBake = (name: string, k: Record<string, string>, extra: Record<string, string> = {}) =>
    bake({
      name,
      'share-with-accounts': SECOND_ACCOUNT.accountId,
      'kms-key-id': k['us-east-1']!,
      'kms-key-ids': `eu-west-1=${k['eu-west-1']}, ap-southeast-2=${k['ap-southeast-2']}`,
      ...extra,
    });
  /** The second account's EC2 in a region: signed with its own access key. */
  const theirs = (region: string) =>
    new EC2Client({
      ...clientConfig(lc, region),
      credentials: { accessKeyId: SECOND_ACCOUNT.accessKeyId, secretAccessKey: 'localcloud' },
    });
  const errorName = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: unknown) => (e as Error).name,
    );
  const copyByThem = (sourceRegion: string, imageId: string) =>
    theirs('us-west-2').send(
      new CopyImageCommand({ Name: `theirs-${imageId}`, SourceImageId: imageId, SourceRegion: sourceRegion }),
    );

  it("with keys: every copy is encrypted with its region's key, shared, and launches in the second account", async () => {
    const k = keys();
    const since = lc.logs.mutations.query().at(-1)?.seq ?? 0;
    const r = await sharedBake('kms-launch', k);
    expect({ exit: r.exitCode, errors: r.errors }).toEqual({ exit: 0, errors: [] });
    const copies = lc.logs.mutations
      .query({ operation: 'CopyImage', since })
      .map((m) => [m.region, (m.params as { KmsKeyId?: string; Encrypted?: boolean }).KmsKeyId]);
    expect(copies.sort()).toEqual([
      ['ap-southeast-2', k['ap-southeast-2']],
      ['eu-west-1', k['eu-west-1']],
    ]);
    const amis = JSON.parse(r.outputs.amis!) as Record<string, string>;
    expect(Object.keys(amis).sort()).toEqual(['ap-southeast-2', 'eu-west-1', 'us-east-1']);
    for (const [region, id] of Object.entries(amis)) {
      const { ec2 } = lc.world.region(region);
      const image = ec2.images.get(id)!;
      expect([...image.launchPermissionUserIds]).toEqual([SECOND_ACCOUNT.accountId]);
      const snapshots = image.blockDeviceMappings.map((m) => ec2.snapshots.get(m.Ebs!.SnapshotId!)!);
      expect(snapshots.map((s) => [s.encrypted, s.kmsKeyId])).toEqual([[true, k[region]]]);
      const launched = await theirs(region).send(
        new RunInstancesCommand({ ImageId: id, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }),
      );
      expect(launched.Instances?.[0]?.ImageId).toBe(id);
      // Launch permission only: the snapshots are not theirs to copy.
      expect(await errorName(copyByThem(region, id))).toBe('AuthFailure');
    }
  });

  it('with share-snapshots: every snapshot grants createVolumePermission, so the second account can copy each AMI', async () => {
    const r = await sharedBake('kms-copy', keys(), { 'share-snapshots': 'true' });
    expect({ exit: r.exitCode, errors: r.errors }).toEqual({ exit: 0, errors: [] });
    const amis = JSON.parse(r.outputs.amis!) as Record<string, string>;
    expect(Object.keys(amis)).toHaveLength(3);
    for (const [region, id] of Object.entries(amis)) {
      const { ec2 } = lc.world.region(region);
      for (const m of ec2.images.get(id)!.blockDeviceMappings)
        expect([...(ec2.snapshots.get(m.Ebs!.SnapshotId!)!.createVolumeUserIds ?? [])]).toEqual([
          SECOND_ACCOUNT.accountId,
        ]);
      const { ImageId } = await copyByThem(region, id);
      expect(lc.world.region('us-west-2').ec2.images.get(ImageId!)!.ownerId).toBe(SECOND_ACCOUNT.accountId);
    }
  });
});
