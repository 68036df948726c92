// bake-ami through dist against localcloud: reuse applies the inputs as declared. A copy region's
// new KMS key makes a new copy on that key, an account no longer in share-with-accounts loses its
// permissions, a tag no longer in `tags` is removed; golden-ami: keys are refused before any call.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLE, renderPolicy } from '../../scripts/render-iam-policies.js';
import { repoRoot } from '../harness/action-metadata.js';
import { localcloudEnv, runActionStep } from '../harness/run-action.js';
import { SECOND_ACCOUNT } from '../localcloud/aws/accounts.js';
import { start, type Localcloud } from '../localcloud/index.js';
import type { Tag } from '../localcloud/state.js';

jest.setTimeout(180_000);

let lc: Localcloud;
let workdir: string;

beforeAll(async () => {
  lc = await start({ port: 0 });
  workdir = mkdtempSync(join(tmpdir(), 'bake-e2e-reuse-'));
});
afterAll(async () => {
  await lc.stop();
  rmSync(workdir, { recursive: true, force: true });
});

const bake = (inputs: Record<string, string>) =>
  runActionStep('bake-ami', {
    inputs: {
      name: 'converge',
      'source-ami': 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
      'poll-interval': '0.05',
      'user-data': '#!/bin/bash\nshutdown -h now',
      ...inputs,
    },
    env: localcloudEnv(lc.url),
    workdir,
  });
const tagMap = (tags: Tag[]) => Object.fromEntries(tags.map((t) => [t.Key, t.Value]));
const OTHER = '111122223333';

describe('bake-ami e2e: reuse applies the inputs as declared', () => {
  it("after a copy region's key changes, a share is removed and a tag is removed: the copy is on the new key, the account lost its permissions, the tag is gone", async () => {
    const key = (region: string) => lc.control.createKmsKey(region).arn;
    const bakeKey = key('us-east-1');
    const common = {
      encrypted: 'true',
      'kms-key-id': bakeKey,
      'copy-to-regions': 'eu-west-1',
      'share-snapshots': 'true',
    };
    const oldKey = key('eu-west-1');
    const first = await bake({
      ...common,
      'kms-key-ids': `eu-west-1=${oldKey}`,
      'share-with-accounts': `${SECOND_ACCOUNT.accountId}, ${OTHER}`,
      tags: 'team=web, owner=alice',
    });
    expect({ exit: first.exitCode, errors: first.errors }).toEqual({ exit: 0, errors: [] });
    const firstAmis = JSON.parse(first.outputs.amis!) as Record<string, string>;

    const newKey = key('eu-west-1');
    const again = await bake({
      ...common,
      'kms-key-ids': `eu-west-1=${newKey}`,
      'share-with-accounts': SECOND_ACCOUNT.accountId,
      tags: 'team=web',
    });
    expect({ exit: again.exitCode, errors: again.errors }).toEqual({ exit: 0, errors: [] });
    expect(again.outputs.reused).toBe('true');
    const amis = JSON.parse(again.outputs.amis!) as Record<string, string>;
    expect(amis['us-east-1']).toBe(firstAmis['us-east-1']);

    // The copy region's key changed: a new copy, on the new key.
    expect(amis['eu-west-1']).not.toBe(firstAmis['eu-west-1']);
    const eu = lc.world.region('eu-west-1').ec2;
    const copy = eu.images.get(amis['eu-west-1']!)!;
    expect(copy.blockDeviceMappings.map((m) => eu.snapshots.get(m.Ebs!.SnapshotId!)!.kmsKeyId)).toEqual([
      newKey,
    ]);

    for (const [region, id] of Object.entries(amis)) {
      const { ec2 } = lc.world.region(region);
      const image = ec2.images.get(id)!;
      const snapshots = image.blockDeviceMappings.map((m) => ec2.snapshots.get(m.Ebs!.SnapshotId!)!);
      // The account no longer listed lost launch and volume permissions; the listed one kept them.
      expect([...image.launchPermissionUserIds]).toEqual([SECOND_ACCOUNT.accountId]);
      for (const s of snapshots)
        expect([...(s.createVolumeUserIds ?? [])]).toEqual([SECOND_ACCOUNT.accountId]);
      // The tag no longer in `tags` is gone from the image and its snapshots; the listing follows.
      for (const tags of [image.tags, ...snapshots.map((s) => s.tags)]) {
        expect(tagMap(tags)).toMatchObject({ team: 'web', 'golden-ami:tag-keys': 'team' });
        expect(tagMap(tags)).not.toHaveProperty('owner');
      }
    }
    expect(again.log).toMatch(/owner removed \(was alice\)/);
    expect(again.log).toMatch(new RegExp(`launch permissions removed from ${OTHER}`));
  });

  it('converges under the shipped policy, rendered for its bake name: no call denied', async () => {
    const read = (f: string) =>
      JSON.parse(readFileSync(join(repoRoot, 'actions/bake-ami', f), 'utf8')) as { Statement: unknown[] };
    lc.iam.clear();
    lc.iam.setPolicy(
      renderPolicy(read('iam-policy.json'), {
        ...EXAMPLE,
        account: lc.world.accountId,
        bakeName: 'converge-iam',
      }),
    );
    try {
      const first = await bake({
        name: 'converge-iam',
        'copy-to-regions': 'eu-west-1',
        'share-with-accounts': `${SECOND_ACCOUNT.accountId}, ${OTHER}`,
        tags: 'team=web, owner=alice',
      });
      expect({ exit: first.exitCode, errors: first.errors }).toEqual({ exit: 0, errors: [] });
      // A new copy region (recorded on the AMI first), a share and a tag removed.
      const again = await bake({
        name: 'converge-iam',
        'copy-to-regions': 'eu-west-1, ap-southeast-2',
        'share-with-accounts': SECOND_ACCOUNT.accountId,
        tags: 'team=web',
      });
      expect({ exit: again.exitCode, errors: again.errors, reused: again.outputs.reused }).toEqual({
        exit: 0,
        errors: [],
        reused: 'true',
      });
      const denied = lc.iam.records.filter((x) => !x.allowed).map((x) => x.checks.find((c) => !c.allowed));
      expect(denied).toEqual([]);
      const image = lc.world.region('us-east-1').ec2.images.get(again.outputs['ami-id']!)!;
      expect(tagMap(image.tags)).toMatchObject({ 'golden-ami:copy-regions': 'eu-west-1,ap-southeast-2' });
      expect(tagMap(image.tags)).not.toHaveProperty('owner');
    } finally {
      lc.iam.setPolicy(null);
    }
  });

  it('refuses a reserved golden-ami: key in tags with one line naming it, before any AWS call', async () => {
    const before = lc.logs.calls.query().length;
    const r = await bake({ tags: 'team=web, golden-ami:completed=yes' });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([
      "Invalid input: tags: golden-ami:completed: keys starting golden-ami: are bake-ami's own (provenance, expiry, completion); use another key",
    ]);
    expect(lc.logs.calls.query().length).toBe(before);
  });
});
