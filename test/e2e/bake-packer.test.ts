// bake-ami's Packer engine with the shipped template through dist against localcloud: it waits
// for the user data's own power-off (so the image is provisioned) and, cancelled while the image
// is being created, leaves no builder, image or snapshot.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLE, renderPolicy } from '../../scripts/render-iam-policies.js';
import { repoRoot } from '../harness/action-metadata.js';
import { packerBakeStep } from '../harness/packer-shim.js';
import type { CancelPlan } from '../harness/run-action.js';
import { start, type Localcloud } from '../localcloud/index.js';
import { seedImage } from '../localcloud/seed.js';

jest.setTimeout(180_000);

let lc: Localcloud;
let workdir: string;

beforeAll(async () => {
  lc = await start({ port: 0 });
  workdir = mkdtempSync(join(tmpdir(), 'bake-e2e-packer-'));
  cpSync(join(repoRoot, 'image'), join(workdir, 'image'), { recursive: true });
});
afterAll(async () => {
  await lc.stop();
  rmSync(workdir, { recursive: true, force: true });
});

const packerBake = (
  name: string,
  cancel?: CancelPlan,
  template = 'image/packer/golden-linux.json',
  inputs: Record<string, string> = {},
) => packerBakeStep(lc.url, workdir, { name, template, inputs, cancel });

describe('bake-ami e2e: engine packer with image/packer/golden-linux.json', () => {
  it('the builder powers itself off after provisioning (Packer never stops it) and proves success on its console', async () => {
    const r = await packerBake('packer-proof');
    expect({ exit: r.exitCode, errors: r.errors }).toEqual({ exit: 0, errors: [] });
    expect(r.log).toMatch(/the console after the stop shows BAKE-SUCCEEDED/);
    const stops = lc.logs.calls.query({ operation: 'StopInstances' });
    expect(stops).toEqual([]);
    const image = lc.world.region('us-east-1').ec2.images.get(r.outputs['ami-id']!)!;
    expect(image.tags.find((t) => t.Key === 'golden-ami:bake-id')?.Value).toBe(r.state['bake-id']);
  });

  it('a failed build is not kept: the console read after Packer shows BAKE-FAILED, the AMI is removed', async () => {
    // The shipped user data with a failure: its trap prints BAKE-FAILED and powers off, and
    // Packer (which cannot tell) images the builder.
    const userData = readFileSync(join(workdir, 'image/linux/user-data.sh'), 'utf8').replace(
      'echo "bake: installing the base packages"',
      'echo "bake: installing the base packages"\n# localcloud: exit 1',
    );
    writeFileSync(join(workdir, 'broken-user-data.sh'), userData);
    writeFileSync(
      join(workdir, 'broken.json'),
      readFileSync(join(workdir, 'image/packer/golden-linux.json'), 'utf8').replace(
        'image/linux/user-data.sh',
        'broken-user-data.sh',
      ),
    );
    const r = await packerBake('packer-broken', undefined, 'broken.json');
    expect(r.errors).toEqual([
      expect.stringMatching(
        /^phase proof failed: builder i-\w+ printed the failure marker "BAKE-FAILED": BAKE-FAILED: line/,
      ),
    ]);
    const ec2 = lc.world.region('us-east-1').ec2;
    const created = lc.logs.mutations
      .query({ operation: 'CreateImage' })
      .filter((m) => String((m.params as { Name?: string }).Name).startsWith('packer-broken-'));
    expect(created).toHaveLength(1);
    const left = [...ec2.images.values()].filter(
      (i) => i.name.startsWith('packer-broken-') && i.state !== 'deregistered',
    );
    expect(left.map((i) => i.imageId)).toEqual([]);
    const snapshots = [...ec2.snapshots.values()].filter((s) =>
      s.tags.some((t) => t.Key === 'golden-ami:bake-id' && t.Value === r.state['bake-id']),
    );
    expect(snapshots.map((s) => s.snapshotId)).toEqual([]);
  });

  it('a template that chooses its own source and name: outputs and provenance say what was built, and it is never reused', async () => {
    const own = seedImage(lc.world.region('us-east-1'), { name: 'teams-own-base' }).imageId;
    writeFileSync(
      join(workdir, 'own-source.json'),
      readFileSync(join(workdir, 'image/packer/golden-linux.json'), 'utf8')
        .replace('"source_ami": "{{user `source_ami`}}"', `"source_ami": "${own}"`)
        .replace('"ami_name": "{{user `ami_name`}}"', '"ami_name": "legacy-web-{{timestamp}}"'),
    );
    const r = await packerBake('packer-own', undefined, 'own-source.json');
    expect({ exit: r.exitCode, errors: r.errors }).toEqual({ exit: 0, errors: [] });
    expect(r.outputs['source-ami-id']).toBe(own);
    expect(r.outputs['ami-name']).toMatch(/^legacy-web-\d+$/);
    expect(r.warnings).toContainEqual(
      expect.stringMatching(
        new RegExp(`^packer-template built from ${own}, not the source bake-ami resolved`),
      ),
    );
    const image = lc.world.region('us-east-1').ec2.images.get(r.outputs['ami-id']!)!;
    expect(image.tags.find((t) => t.Key === 'golden-ami:source-ami')?.Value).toBe(own);
    const again = await packerBake('packer-own', undefined, 'own-source.json');
    expect({ exit: again.exitCode, reused: again.outputs.reused }).toEqual({ exit: 0, reused: 'false' });
  });

  it('a template without run_tags is still proven from the builder Packer announced: its failure is not published', async () => {
    const template = JSON.parse(readFileSync(join(workdir, 'image/packer/golden-linux.json'), 'utf8')) as {
      builders: Record<string, unknown>[];
    };
    const builder = template.builders[0]!;
    for (const key of ['run_tags', 'run_volume_tags', 'tags', 'snapshot_tags']) delete builder[key];
    builder.user_data_file = 'fails-untagged.sh';
    writeFileSync(
      join(workdir, 'fails-untagged.sh'),
      '#!/bin/bash\necho "yum install failed" > /dev/console\necho BAKE-FAILED > /dev/console\nshutdown -h now\n',
    );
    writeFileSync(join(workdir, 'untagged.json'), JSON.stringify(template, null, 2));
    const r = await packerBake('packer-untagged', undefined, 'untagged.json');
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([
      expect.stringMatching(/^phase proof failed: builder i-\w+ printed the failure marker "BAKE-FAILED"/),
    ]);
    const left = [...lc.world.region('us-east-1').ec2.images.values()].filter(
      (i) => i.name.startsWith('packer-untagged-') && i.state !== 'deregistered',
    );
    expect(left.map((i) => i.imageId)).toEqual([]);
  });

  it('cancelled while the AMI is being created: no builder, image or snapshot left', async () => {
    const ec2 = lc.world.region('us-east-1').ec2;
    const snapshotsBefore = new Set(ec2.snapshots.keys());
    const r = await packerBake('packer-cancel', {
      whenOutput: /Creating AMI|Waiting for AMI to become ready/,
    });
    expect(r.exitCode).not.toBe(0);
    expect(r.post?.exitCode).toBe(0);
    // The cancel landed after CreateImage: there was an AMI to leak.
    const created = lc.logs.mutations
      .query({ operation: 'CreateImage' })
      .filter((m) => String((m.params as { Name?: string }).Name).startsWith('packer-cancel-'));
    expect(created).toHaveLength(1);
    const images = [...ec2.images.values()].filter(
      (i) => i.name.startsWith('packer-cancel-') && i.state !== 'deregistered',
    );
    expect(images.map((i) => `${i.imageId} ${i.state}`)).toEqual([]);
    expect([...ec2.snapshots.keys()].filter((s) => !snapshotsBefore.has(s))).toEqual([]);
    const live = [...ec2.instances.values()].filter(
      (i) =>
        i.tags.some((t) => t.Key === 'golden-ami:bake-id' && t.Value === r.state['bake-id']) &&
        !['terminated', 'shutting-down'].includes(i.state),
    );
    expect(live.map((i) => i.instanceId)).toEqual([]);
  });

  // Issue 26: Packer runs without the runner's file-command variables; the post step spares completed images.
  it("a shell-local step writing to $GITHUB_STATE cannot make the post step delete another bake's completed AMI", async () => {
    const region = lc.world.region('us-east-1');
    // Another bake's result: its bake id, marked completed.
    const victim = seedImage(region, {
      name: 'web-release-1',
      tags: [
        { Key: 'golden-ami:bake-id', Value: 'victim-bake' },
        { Key: 'golden-ami:completed', Value: 'true' },
      ],
    }).imageId;
    const forged = [
      'bake-id=victim-bake',
      `images=[{"region":"us-east-1","imageId":"${victim}"}]`,
      'done=false',
    ];
    const template = JSON.parse(
      readFileSync(join(workdir, 'image/packer/golden-linux.json'), 'utf8'),
    ) as Record<string, unknown>;
    template.provisioners = [
      {
        type: 'shell-local',
        inline: [
          'echo "GITHUB_STATE=${GITHUB_STATE:-unset} GITHUB_OUTPUT=${GITHUB_OUTPUT:-unset} GITHUB_ENV=${GITHUB_ENV:-unset}" > seen.txt',
          `if [ -n "$GITHUB_STATE" ]; then printf '%s\\n' ${forged.map((l) => `'${l}'`).join(' ')} >> "$GITHUB_STATE"; fi`,
        ],
      },
    ];
    writeFileSync(join(workdir, 'forging.json'), JSON.stringify(template, null, 2));

    // Failing after Packer, the post step has this bake's images to remove.
    const r = await packerBake('packer-forger', undefined, 'forging.json', {
      'failure-marker': 'bake: installing',
    });

    expect(readFileSync(join(workdir, 'seen.txt'), 'utf8')).toBe(
      'GITHUB_STATE=unset GITHUB_OUTPUT=unset GITHUB_ENV=unset\n',
    );
    expect(r.state['bake-id']).not.toBe('victim-bake');
    expect(r.post?.exitCode).toBe(0);
    expect(region.ec2.images.get(victim)!.state).toBe('available');
    const deregistered = lc.logs.mutations
      .query({ operation: 'DeregisterImage' })
      .map((m) => (m.params as { ImageId?: string }).ImageId);
    expect(deregistered).not.toContain(victim);
  });

  // Debian's Packer 1.6.6 tags nothing but its builder as it creates it: it runs under the policy made
  // for it (iam-policy-packer-1.6.json); iam-policy-packer.json asks for tags at creation (plugin >= 1.0.2).
  it('passes under the shipped native and Packer 1.6 policies, rendered for its bake name and builder VPC', async () => {
    const ec2 = lc.world.region('us-east-1').ec2;
    const vpc = [...ec2.vpcs.values()].find((v) => v.isDefault)!.vpcId;
    const read = (f: string) =>
      JSON.parse(readFileSync(join(repoRoot, 'actions/bake-ami', f), 'utf8')) as { Statement: unknown[] };
    const pipeline = { ...EXAMPLE, account: lc.world.accountId, bakeName: 'packer-iam', builderVpc: vpc };
    lc.iam.clear();
    lc.iam.setPolicy({
      Version: '2012-10-17',
      Statement: [read('iam-policy.json'), read('iam-policy-packer-1.6.json')].flatMap(
        (doc) => renderPolicy(doc, pipeline).Statement,
      ),
    });
    try {
      const r = await packerBake('packer-iam');
      const denied = lc.iam.records.filter((x) => !x.allowed).map((x) => x.checks.find((c) => !c.allowed));
      expect(denied).toEqual([]);
      expect({ exit: r.exitCode, errors: r.errors }).toEqual({ exit: 0, errors: [] });
      expect(r.post?.exitCode).toBe(0);
    } finally {
      lc.iam.setPolicy(null);
    }
  });
});
