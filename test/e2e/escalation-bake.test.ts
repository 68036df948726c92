// bake-ami's IAM policy under localcloud's IAM enforcement: the bake scenarios pass under exactly
// actions/bake-ami/iam-policy.json (rendered for each bake's name), and each escalation a stolen bake
// role could try is denied, the other team's resources unchanged.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  CopyImageCommand,
  CreateImageCommand,
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  EC2Client,
  ModifyImageAttributeCommand,
  ModifySnapshotAttributeCommand,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { EXAMPLE, renderPolicy } from '../../scripts/render-iam-policies.js';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../harness/action-metadata.js';
import { localcloudEnv, runActionStep } from '../harness/run-action.js';
import { start, type Localcloud } from '../localcloud/index.js';
import { SECOND_ACCOUNT } from '../localcloud/aws/accounts.js';
import { statements, type PolicyDocument } from '../localcloud/iam.js';
import { seedImage } from '../localcloud/seed.js';
import { clientConfig, until } from '../localcloud/test-support.js';

jest.setTimeout(180_000);

const ACCOUNT = '123456789012';
const readPolicy = (file: string) =>
  JSON.parse(readFileSync(join(repoRoot, 'actions/bake-ami', file), 'utf8')) as PolicyDocument;
const policy = readPolicy('iam-policy.json');
const packerPolicy = readPolicy('iam-policy-packer.json');
/** The shipped policy for a pipeline whose bake is named `bakeName`, its builders in the default VPC. */
const policyFor = (bakeName: string) =>
  renderPolicy(policy, { ...EXAMPLE, bakeName, builderVpc: defaultVpc() });
const defaultVpc = () => [...lc.world.region('us-east-1').ec2.vpcs.values()].find((v) => v.isDefault)!.vpcId;

let lc: Localcloud;
let workdir: string;
let ec2: EC2Client;
let ssm: SSMClient;
const foreign = { instanceId: '', amiId: '', snapshotId: '', otherAccountAmi: '', otherPipelineAmi: '' };

beforeAll(async () => {
  lc = await start({ port: 0, accountId: ACCOUNT });
  workdir = mkdtempSync(join(tmpdir(), 'bake-e2e-iam-'));
  cpSync(join(repoRoot, 'image'), join(workdir, 'image'), { recursive: true });
  ec2 = new EC2Client(clientConfig(lc));
  ssm = new SSMClient(clientConfig(lc));
  // Another team's instance, and an AMI (with its snapshot) made from it, created without the policy.
  const region = lc.world.region('us-east-1');
  const sourceImage = region.ec2.images.values().next().value!.imageId;
  const launched = await ec2.send(
    new RunInstancesCommand({
      ImageId: sourceImage,
      InstanceType: 't3.micro',
      MinCount: 1,
      MaxCount: 1,
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'team', Value: 'payments' }] }],
    }),
  );
  foreign.instanceId = launched.Instances![0]!.InstanceId!;
  await until('foreign instance running', () =>
    region.ec2.instances.get(foreign.instanceId)?.state === 'running' ? true : undefined,
  );
  const image = await ec2.send(
    new CreateImageCommand({ InstanceId: foreign.instanceId, Name: 'payments-1', NoReboot: true }),
  );
  foreign.amiId = image.ImageId!;
  foreign.snapshotId = region.ec2.images.get(foreign.amiId)!.blockDeviceMappings[0]!.Ebs!.SnapshotId!;
  // Another account's private AMI shared with this one, and another pipeline's bake in this account.
  const shared = seedImage(region, { name: 'partner-1' });
  shared.ownerId = SECOND_ACCOUNT.accountId;
  shared.launchPermissionUserIds.add(ACCOUNT);
  foreign.otherAccountAmi = shared.imageId;
  foreign.otherPipelineAmi = seedImage(region, {
    name: 'payments-base-1',
    tags: [
      { Key: 'golden-ami:name', Value: 'payments-base' },
      { Key: 'golden-ami:bake-id', Value: 'p-0001' },
    ],
  }).imageId;
  lc.iam.setPolicy(policy);
});
afterAll(async () => {
  await lc.stop();
  rmSync(workdir, { recursive: true, force: true });
});

const bake = (inputs: Record<string, string>) => {
  lc.iam.setPolicy(policyFor(inputs.name!));
  return runActionStep('bake-ami', {
    inputs: {
      'source-ami': 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
      'poll-interval': '0.05',
      'iam-instance-profile': 'golden-ami-builder',
      ...inputs,
    },
    env: localcloudEnv(lc.url),
    workdir,
  });
};

/** The Sid of the statement that would have allowed the denied check, named by the test. */
function lastDenial(): { action: string; resource: string } {
  const denied = [...lc.iam.records].reverse().find((r) => !r.allowed)!;
  const check = denied.checks.find((c) => !c.allowed)!;
  return { action: check.action, resource: check.resource };
}

describe('bake-ami under exactly its IAM policy', () => {
  it('has every statement scoped: no mutating action on "*"', () => {
    const mutating = statements(policy).filter(
      (s) => s.Resource === '*' && [s.Action].flat().some((a) => !/:(Describe|Get)/.test(String(a))),
    );
    expect(mutating.map((s) => s.Sid)).toEqual([]);
  });

  it('user data with an instance profile (copied, shared with snapshots), provision scripts and a failed image all pass', async () => {
    const ok = await bake({
      name: 'iam-web',
      'user-data-file': 'image/linux/user-data.sh',
      'copy-to-regions': 'eu-west-1',
      'share-with-accounts': '111122223333',
      'share-snapshots': 'true',
      tags: 'team=web',
    });
    expect({ exit: ok.exitCode, errors: ok.errors }).toEqual({ exit: 0, errors: [] });
    const amis = JSON.parse(ok.outputs.amis!) as Record<string, string>;
    expect(Object.keys(amis).sort()).toEqual(['eu-west-1', 'us-east-1']);
    for (const [region, id] of Object.entries(amis)) {
      const image = lc.world.region(region).ec2.images.get(id)!;
      expect(image.state).toBe('available');
      expect([...image.launchPermissionUserIds]).toEqual(['111122223333']);
      for (const m of image.blockDeviceMappings) {
        const snapshot = lc.world.region(region).ec2.snapshots.get(m.Ebs!.SnapshotId!)!;
        expect([...(snapshot.createVolumeUserIds ?? [])]).toEqual(['111122223333']);
      }
    }
    expect(ok.post?.exitCode).toBe(0);

    const scripts = await bake({
      name: 'iam-ssm',
      'provision-scripts': 'image/linux/provision/01-base.sh',
    });
    expect({ exit: scripts.exitCode, errors: scripts.errors }).toEqual({ exit: 0, errors: [] });

    // A failed image is removed, snapshots included, under the same policy.
    const failed = await bake({
      name: 'iam-fail',
      'user-data': '#!/bin/bash\n# localcloud: image-fail simulated disk error\nshutdown -h now',
    });
    expect(failed.exitCode).toBe(1);
    expect(failed.errors).toEqual([
      expect.stringMatching(/^phase image failed: image ami-\w+ in us-east-1 is failed/),
    ]);
    const left = [...lc.world.region('us-east-1').ec2.images.values()].filter(
      (i) => i.name.startsWith('iam-fail-') && i.state !== 'deregistered',
    );
    expect(left.map((i) => i.imageId)).toEqual([]);
    expect(lc.iam.records.filter((r) => !r.allowed).map((r) => r.operation)).toEqual([]);
  });
});

// attempt → the statement whose condition refuses it
describe('bake-ami role: escalation attempts are denied', () => {
  beforeAll(() => lc.iam.setPolicy(policy));
  const deny = async (send: () => Promise<unknown>) => {
    const err = await send().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.name).toMatch(/^(UnauthorizedOperation|AccessDeniedException)$/);
  };
  const region = () => lc.world.region('us-east-1').ec2;

  it('tag a foreign instance as a builder → denied by ec2:CreateAction (tags only at creation)', async () => {
    await deny(() =>
      ec2.send(
        new CreateTagsCommand({
          Resources: [foreign.instanceId],
          Tags: [{ Key: 'golden-ami:builder', Value: 'x' }],
        }),
      ),
    );
    expect(lastDenial()).toEqual({
      action: 'ec2:CreateTags',
      resource: expect.stringContaining(foreign.instanceId),
    });
    expect(
      region()
        .instances.get(foreign.instanceId)!
        .tags.map((t) => t.Key),
    ).toEqual(['team']);
  });

  it('terminate a foreign instance → denied by aws:ResourceTag/golden-ami:builder', async () => {
    await deny(() => ec2.send(new TerminateInstancesCommand({ InstanceIds: [foreign.instanceId] })));
    await deny(() => ec2.send(new StopInstancesCommand({ InstanceIds: [foreign.instanceId] })));
    expect(region().instances.get(foreign.instanceId)!.state).toBe('running');
  });

  it('SendCommand to a foreign instance → denied by aws:ResourceTag/golden-ami:builder', async () => {
    await deny(() =>
      ssm.send(
        new SendCommandCommand({
          InstanceIds: [foreign.instanceId],
          DocumentName: 'AWS-RunShellScript',
          Parameters: { commands: ['id'] },
        }),
      ),
    );
    expect(lastDenial()).toEqual({
      action: 'ssm:SendCommand',
      resource: expect.stringContaining(foreign.instanceId),
    });
  });

  it('image a foreign instance → denied by aws:ResourceTag/golden-ami:builder on the instance', async () => {
    await deny(() =>
      ec2.send(
        new CreateImageCommand({
          InstanceId: foreign.instanceId,
          Name: 'stolen',
          TagSpecifications: [{ ResourceType: 'image', Tags: [{ Key: 'golden-ami:bake-id', Value: 'x' }] }],
        }),
      ),
    );
  });

  it('launch an untagged instance → denied by aws:RequestTag/golden-ami:builder', async () => {
    await deny(() =>
      ec2.send(
        new RunInstancesCommand({
          ImageId: foreign.amiId,
          InstanceType: 't3.micro',
          MinCount: 1,
          MaxCount: 1,
        }),
      ),
    );
  });

  it('deregister a foreign AMI → denied by aws:ResourceTag/golden-ami:name', async () => {
    await deny(() => ec2.send(new DeregisterImageCommand({ ImageId: foreign.amiId })));
    expect(region().images.get(foreign.amiId)!.state).not.toBe('deregistered');
  });

  it('share a foreign AMI → denied by aws:ResourceTag/golden-ami:name', async () => {
    await deny(() =>
      ec2.send(
        new ModifyImageAttributeCommand({
          ImageId: foreign.amiId,
          LaunchPermission: { Add: [{ UserId: '444455556666' }] },
        }),
      ),
    );
    expect([...region().images.get(foreign.amiId)!.launchPermissionUserIds]).toEqual([]);
  });

  it('retag a foreign AMI (or mark it completed) → denied by aws:ResourceTag/golden-ami:name', async () => {
    for (const Key of ['team', 'golden-ami:completed'])
      await deny(() =>
        ec2.send(new CreateTagsCommand({ Resources: [foreign.amiId], Tags: [{ Key, Value: 'x' }] })),
      );
    expect(region().images.get(foreign.amiId)!.tags).toEqual([]);
  });

  it('share a foreign snapshot → denied by aws:ResourceTag/golden-ami:name', async () => {
    await deny(() =>
      ec2.send(
        new ModifySnapshotAttributeCommand({
          SnapshotId: foreign.snapshotId,
          Attribute: 'createVolumePermission',
          CreateVolumePermission: { Add: [{ UserId: '444455556666' }] },
        }),
      ),
    );
    expect(lastDenial()).toEqual({
      action: 'ec2:ModifySnapshotAttribute',
      resource: expect.stringContaining(foreign.snapshotId),
    });
    expect(region().snapshots.get(foreign.snapshotId)!.createVolumeUserIds).toBeUndefined();
  });

  it('delete a foreign snapshot → denied by aws:ResourceTag/golden-ami:name', async () => {
    await deny(() => ec2.send(new DeleteSnapshotCommand({ SnapshotId: foreign.snapshotId })));
    expect(region().snapshots.has(foreign.snapshotId)).toBe(true);
  });
});

// Issue 26's paths 1 and 2, replayed: the other account's and the other pipeline's AMIs stay as they were.
describe("bake-ami role: leaking or claiming images that are not this pipeline's is denied", () => {
  const denied = async (send: () => Promise<unknown>) =>
    expect(
      (
        await send().then(
          () => undefined,
          (e: unknown) => e as Error,
        )
      )?.name,
    ).toBe('UnauthorizedOperation');
  const region = () => lc.world.region('us-east-1').ec2;
  const images = () => [...region().images.keys()].sort();
  const bakeTags = [
    { Key: 'golden-ami:name', Value: EXAMPLE.bakeName },
    { Key: 'golden-ami:bake-id', Value: 'b-attack' },
  ];
  const builder = [
    { Key: 'golden-ami:builder', Value: EXAMPLE.bakeName },
    { Key: 'golden-ami:bake-id', Value: 'b-attack' },
  ];
  const launch = (imageId: string) =>
    ec2.send(
      new RunInstancesCommand({
        ImageId: imageId,
        InstanceType: 't3.micro',
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: (['instance', 'volume', 'network-interface'] as const).map((ResourceType) => ({
          ResourceType,
          Tags: builder,
        })),
      }),
    );

  beforeAll(() => lc.iam.setPolicy(policy));

  it("copy another account's AMI into a copy tagged as this pipeline's bake → denied by ec2:Owner", async () => {
    const before = images();
    await denied(() =>
      ec2.send(
        new CopyImageCommand({
          SourceImageId: foreign.otherAccountAmi,
          SourceRegion: 'us-east-1',
          Name: 'leak',
          TagSpecifications: [
            { ResourceType: 'image', Tags: bakeTags },
            { ResourceType: 'snapshot', Tags: bakeTags },
          ],
        }),
      ),
    );
    expect(lastDenial()).toEqual({
      action: 'ec2:CopyImage',
      resource: expect.stringContaining(foreign.otherAccountAmi),
    });
    expect(images()).toEqual(before);
  });

  it("launch a tagged builder from another account's AMI, another team's or another pipeline's → denied by ec2:Owner / golden-ami:name", async () => {
    const instances = region().instances.size;
    for (const id of [foreign.otherAccountAmi, foreign.amiId, foreign.otherPipelineAmi]) {
      await denied(() => launch(id));
      expect(lastDenial()).toEqual({ action: 'ec2:RunInstances', resource: expect.stringContaining(id) });
    }
    expect(region().instances.size).toBe(instances);
  });

  it("share or deregister another pipeline's bake → denied by golden-ami:name", async () => {
    await denied(() =>
      ec2.send(
        new ModifyImageAttributeCommand({
          ImageId: foreign.otherPipelineAmi,
          LaunchPermission: { Add: [{ UserId: '444455556666' }] },
        }),
      ),
    );
    await denied(() => ec2.send(new DeregisterImageCommand({ ImageId: foreign.otherPipelineAmi })));
    const image = region().images.get(foreign.otherPipelineAmi)!;
    expect([image.state, [...image.launchPermissionUserIds]]).toEqual(['available', []]);
  });

  it("with the Packer policy too: claim another pipeline's bake as this one's → denied", async () => {
    lc.iam.setPolicy({
      Version: '2012-10-17',
      Statement: [...statements(policy), ...statements(packerPolicy)],
    });
    for (const Tags of [[bakeTags[1]!], bakeTags])
      await denied(() => ec2.send(new CreateTagsCommand({ Resources: [foreign.otherPipelineAmi], Tags })));
    const tags = [...region().images.get(foreign.otherPipelineAmi)!.tags].sort((a, b) =>
      a.Key.localeCompare(b.Key),
    );
    expect(tags).toEqual([
      { Key: 'golden-ami:bake-id', Value: 'p-0001' },
      { Key: 'golden-ami:name', Value: 'payments-base' },
    ]);
  });

  it("with the Packer policy too: claim another team's unnamed AMI, or share it once claimed → denied", async () => {
    lc.iam.setPolicy({
      Version: '2012-10-17',
      Statement: [...statements(policy), ...statements(packerPolicy)],
    });
    const asBuilt = [
      { Key: 'golden-ami:builder', Value: EXAMPLE.bakeName },
      { Key: 'golden-ami:bake-id', Value: 'b-attack' },
    ];
    for (const Tags of [bakeTags, asBuilt, [...asBuilt, bakeTags[0]!]])
      await denied(() =>
        ec2.send(new CreateTagsCommand({ Resources: [foreign.amiId, foreign.snapshotId], Tags })),
      );
    await denied(() =>
      ec2.send(
        new ModifyImageAttributeCommand({
          ImageId: foreign.amiId,
          LaunchPermission: { Add: [{ UserId: '444455556666' }] },
        }),
      ),
    );
    const image = region().images.get(foreign.amiId)!;
    expect([image.state, image.tags, [...image.launchPermissionUserIds]]).toEqual(['available', [], []]);
  });
});
