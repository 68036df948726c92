import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunInstancesCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { bake, type BakeResult } from '../../../src/bake/bake.js';
import { renderBakeSummary } from '../../../src/bake/summary.js';
import { AbortedError, ActionFailure, ConfigurationError, TimeoutError } from '../../../src/core/errors.js';
import { seedImage } from '../../localcloud/seed.js';
import { AMAZON_OWNER_ID } from '../../localcloud/state.js';
import {
  AL2023,
  REGION,
  startCloud,
  T0,
  tagsOf,
  UNIT_DURATIONS,
  WINDOWS_2022,
  type UnitCloud,
} from './cloud.js';
import { bakeOptions, workspace } from './options.js';

const LINUX_USER_DATA = '#!/bin/bash\nset -e\ndnf -y install nginx\nshutdown -h now\n';

let cloud: UnitCloud;
let source: string;
let dir: string;
/** Bakes so far in this test: each gets its own bake id, as each run of the action does. */
let bakes: number;

beforeAll(async () => {
  cloud = await startCloud();
});
afterAll(() => cloud.stop());

beforeEach(() => {
  cloud.reset();
  source = AL2023;
  bakes = 0;
  dir = workspace({
    'user-data.sh': LINUX_USER_DATA,
    'install.ps1': 'choco install dotnet-runtime\n',
    'tentacle.ps1': 'msiexec /i Octopus.Tentacle.msi /quiet\nWrite-Output "Tentacle installed"\n',
  });
});

const run = (inputs: Record<string, string>, ctx = cloud.context()) => {
  bakes += 1;
  const o = bakeOptions(
    { name: 'web', 'source-ami': source, 'user-data': LINUX_USER_DATA, ...inputs },
    { workingDirectory: dir, bakeId: `4242-${bakes}-abcd0123` },
  );
  return { promise: bake(ctx, o), o, ctx };
};

/** User data that provisions, prints these localcloud directives and shuts the builder down. */
const userData = (...directives: string[]) =>
  `#!/bin/bash\nset -e\ndnf -y install nginx\n${directives.map((d) => `# localcloud: ${d}\n`).join('')}shutdown -h now\n`;

function expectNothingLeft(): void {
  expect(cloud.liveInstances()).toEqual([]);
  expect(cloud.ownImages()).toEqual([]);
  expect(cloud.ownSnapshots()).toEqual([]);
}

/** The RunInstances request localcloud received for the builder. */
const runRequest = () => {
  const runs = cloud.calls({ operation: 'RunInstances' });
  expect(runs).toHaveLength(1);
  return runs[0]!.params;
};

describe('bake: Linux user data', () => {
  it('bakes an available AMI tagged with provenance, snapshots tagged too, builder terminated', async () => {
    const { promise, o } = run({ tags: 'team=web, env=prod' });
    const r = await promise;
    const image = cloud.image(r.amiId!)!;
    expect(image.state).toBe('available');
    expect(image.name).toMatch(/^web-\d{14}$/);
    expect(r.amiName).toBe(image.name);
    expect(tagsOf(image.tags)).toMatchObject({
      team: 'web',
      env: 'prod',
      'golden-ami:fingerprint': r.fingerprint,
      'golden-ami:source-ami': source,
      'golden-ami:commit': o.commit,
      'golden-ami:run-url': o.runUrl,
      'golden-ami:name': 'web',
    });
    expect(tagsOf(cloud.snapshot(image.blockDeviceMappings[0]!.Ebs!.SnapshotId!)!.tags)).toMatchObject({
      'golden-ami:fingerprint': r.fingerprint,
    });
    expect(r).toMatchObject({
      reused: false,
      sourceAmiId: source,
      amis: { [REGION]: r.amiId },
      platform: 'linux',
    });
    expect(r.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    // The builder is gone and was launched as the issue asks.
    const builder = cloud.instance(r.builderInstanceId!)!;
    expect(cloud.liveInstances()).toEqual([]);
    expect(runRequest()).toMatchObject({
      InstanceType: 't3.medium',
      MetadataOptions: { HttpTokens: 'required' },
      InstanceInitiatedShutdownBehavior: 'stop',
    });
    // The runner trims inputs, as @actions/core does.
    expect(Buffer.from(builder.userData!, 'base64').toString()).toBe(LINUX_USER_DATA.trim());
    expect(Date.parse(tagsOf(builder.tags)['golden-ami:expires-at']!)).toBeGreaterThan(T0 + 60 * 60_000);
    // State for the post step, and the run marked complete.
    expect(o.saved).toMatchObject({
      'builder-instance-id': r.builderInstanceId,
      done: 'true',
      region: REGION,
    });
    expect(JSON.parse(o.saved.images!)).toEqual([{ region: REGION, imageId: r.amiId }]);
  });

  it('names the image <name>-<UTC yyyyMMddHHmmss> from the bake start', async () => {
    const r = await run({}).promise;
    expect(r.amiName).toBe(`web-${new Date(T0).toISOString().replace(/[-:T]/g, '').slice(0, 14)}`);
  });

  it('sets the root volume, encryption and network settings on the builder', async () => {
    const subnet = [...cloud.lc.world.region(REGION).ec2.subnets.keys()][1]!;
    const group = [...cloud.lc.world.region(REGION).ec2.securityGroups.keys()][0]!;
    const key = cloud.lc.control.createKmsKey(REGION, 'alias/golden');
    const r = await run({
      'volume-size': '50',
      encrypted: 'true',
      'kms-key-id': 'alias/golden',
      'subnet-id': subnet,
      'security-group-ids': group,
      'iam-instance-profile': 'bake-profile',
    }).promise;
    expect(runRequest()).toMatchObject({
      BlockDeviceMappings: [
        { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 50, Encrypted: true, KmsKeyId: 'alias/golden' } },
      ],
      SubnetId: subnet,
      SecurityGroupIds: [group],
      IamInstanceProfile: { Name: 'bake-profile' },
    });
    expect(cloud.instance(r.builderInstanceId!)).toMatchObject({ subnetId: subnet });
    // The AMI's root snapshot is the builder's volume: 50 GiB, encrypted with that key.
    const root = cloud.image(r.amiId!)!.blockDeviceMappings[0]!.Ebs!;
    expect(root).toMatchObject({ VolumeSize: 50, Encrypted: true });
    expect(cloud.snapshot(root.SnapshotId!)).toMatchObject({ encrypted: true, kmsKeyId: key.arn });
  });

  it('fails before launching when the subnet does not exist', async () => {
    await expect(run({ 'subnet-id': 'subnet-0000000000000000f' }).promise).rejects.toThrow(
      /subnet-id: subnet-0000000000000000f does not exist/,
    );
    expect(cloud.mutations()).toEqual([]);
  });

  it('reads user-data-file relative to the workspace', async () => {
    const { promise } = run({ 'user-data': '', 'user-data-file': 'user-data.sh' });
    const r = await promise;
    expect(Buffer.from(cloud.instance(r.builderInstanceId!)!.userData!, 'base64').toString()).toBe(
      LINUX_USER_DATA,
    );
  });

  it('a missing user-data-file is an input error before any AWS call', async () => {
    await expect(run({ 'user-data': '', 'user-data-file': 'nope.sh' }).promise).rejects.toThrow(
      ConfigurationError,
    );
    await expect(run({ 'user-data': '', 'user-data-file': 'nope.sh' }).promise).rejects.toThrow(
      /user-data-file: cannot read "nope.sh" \(no such file\)/,
    );
    expect(cloud.calls()).toEqual([]);
  });
});

describe('bake: a retried CreateImage (its first response lost)', () => {
  const name = `web-${new Date(T0).toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
  const seedOwn = (bakeId: string) =>
    cloud.lc.control.seed({ images: [{ name, tags: [{ Key: 'golden-ami:bake-id', Value: bakeId }] }] })
      .images[0]!.imageId;

  it('adopts the image the first call made for this bake', async () => {
    const first = seedOwn('4242-1-abcd0123');
    const r = await run({}).promise;
    expect(r.amiId).toBe(first);
  });

  it('refuses before launching when the name belongs to another bake', async () => {
    seedOwn('other');
    const launches = cloud.mutations({ operation: 'RunInstances' }).length;
    await expect(run({}).promise).rejects.toThrow(
      /ami-name-template: an AMI named "web-\d+" already exists in us-east-1 \(ami-\w+\); AMI names are unique per region/,
    );
    expect(cloud.mutations({ operation: 'RunInstances' })).toHaveLength(launches);
    expect(cloud.liveInstances()).toEqual([]);
  });
});

describe('bake: reuse', () => {
  it('returns the same AMI on an identical second run, launching nothing', async () => {
    const first = await run({}).promise;
    const launches = cloud.mutations({ operation: 'RunInstances' }).length;
    const second = await run({}).promise;
    expect(second).toMatchObject({
      reused: true,
      amiId: first.amiId,
      amiName: first.amiName,
      fingerprint: first.fingerprint,
    });
    expect(second.builderInstanceId).toBeUndefined();
    expect(cloud.mutations({ operation: 'RunInstances' })).toHaveLength(launches);
  });

  it('bakes again when the provisioning or source changes, or reuse is off', async () => {
    const first = await run({}).promise;
    const next = cloud.context();
    next.clock.advance(60_000);
    const changed = await run({ 'user-data': `${LINUX_USER_DATA}# v2\n` }, next).promise;
    expect(changed.amiId).not.toBe(first.amiId);
    expect(changed.reused).toBe(false);
    expect(changed.fingerprint).not.toBe(first.fingerprint);
    const later = cloud.context();
    later.clock.advance(120_000);
    const forced = await run({ 'reuse-if-unchanged': 'false' }, later).promise;
    expect(forced.reused).toBe(false);
    expect(forced.amiId).not.toBe(first.amiId);
  });

  it('with reuse-max-age, an unchanged AMI is reused until it is that old, then baked again', async () => {
    const first = await run({ 'reuse-max-age': '30d' }).promise;
    const soon = cloud.context();
    soon.clock.advance(29 * 86_400_000);
    expect(await run({ 'reuse-max-age': '30d' }, soon).promise).toMatchObject({
      reused: true,
      amiId: first.amiId,
    });
    const late = cloud.context();
    late.clock.advance(31 * 86_400_000);
    const rebaked = await run({ 'reuse-max-age': '30d' }, late).promise;
    expect(rebaked.reused).toBe(false);
    expect(rebaked.amiId).not.toBe(first.amiId);
    expect(rebaked.fingerprint).toBe(first.fingerprint);
    expect(late.log.lines).toContainEqual(expect.stringMatching(/\(reuse-max-age\): rebaking\.$/));
  });

  it('does not reuse an AMI of another bake name with the same content', async () => {
    const first = await run({}).promise;
    const other = await run({ name: 'api' }).promise;
    expect(other.fingerprint).toBe(first.fingerprint);
    expect(other.reused).toBe(false);
  });
});

describe('bake: provision scripts over SSM', () => {
  /** What each SendCommand ran, in order. */
  const commands = () =>
    cloud.calls({ operation: 'SendCommand' }).map(({ params }) => ({
      document: params.DocumentName,
      script: (params.Parameters as Record<string, string[]>).commands![0]!,
    }));

  it('runs Windows scripts in order as PowerShell, then sysprep shuts the builder down', async () => {
    source = WINDOWS_2022;
    const { promise, ctx } = run({
      'user-data': '',
      'provision-scripts': 'install.ps1\ntentacle.ps1',
      'iam-instance-profile': 'ssm',
    });
    const r = await promise;
    expect(r.platform).toBe('windows');
    const sent = commands();
    expect(sent.map((c) => c.document)).toEqual([
      'AWS-RunPowerShellScript',
      'AWS-RunPowerShellScript',
      'AWS-RunPowerShellScript',
    ]);
    expect(sent[0]!.script).toContain('choco install');
    expect(sent[1]!.script).toContain('Octopus.Tentacle.msi');
    expect(sent[2]!.script).toMatch(/ec2launch\.exe" sysprep --shutdown/);
    expect(cloud.image(r.amiId!)!.state).toBe('available');
    expect(cloud.liveInstances()).toEqual([]);
    // Script output is streamed into the log.
    expect(ctx.log.lines).toContain('Tentacle installed');
  });

  it('runs Linux scripts as shell and stops the builder through the API', async () => {
    const { promise } = run({ 'user-data': '', 'provision-scripts': 'user-data.sh', platform: 'linux' });
    await promise;
    expect(commands().map((c) => c.document)).toEqual(['AWS-RunShellScript']);
    expect(cloud.mutations()).toContain(`StopInstances ${REGION}`);
  });

  it('a script exiting non-zero fails the provision phase with its exit code and stderr, leaving nothing', async () => {
    source = WINDOWS_2022;
    writeFileSync(
      join(dir, 'tentacle.ps1'),
      'msiexec /i Octopus.Tentacle.msi /quiet\n# localcloud: exit 1603\n',
    );
    const err = await run({ 'user-data': '', 'provision-scripts': 'install.ps1,tentacle.ps1' }).promise.catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ActionFailure);
    expect((err as Error).message).toBe(
      'phase provision failed: provision script tentacle.ps1 failed (exit code 1603): failed to run commands: exit status 1603',
    );
    expectNothingLeft();
  });
});

describe('bake: failures are detected early, name the phase, and leave nothing', () => {
  // The script fails after printing the marker, so its shutdown never runs: only the console,
  // read while the builder still runs, can end the wait before timeout.
  it('the failure marker on the console', async () => {
    const { promise, ctx } = run({
      'user-data': userData('console installing nginx', 'console BAKE-FAILED: nginx did not start', 'exit 1'),
    });
    await expect(promise).rejects.toThrow(
      /^phase provision failed: builder i-\w+ printed the failure marker "BAKE-FAILED": BAKE-FAILED: nginx did not start$/,
    );
    expectNothingLeft();
    expect(ctx.log.lines).toContain('console: installing nginx');
  });

  it('a custom failure marker', async () => {
    await expect(
      run({ 'user-data': userData('console !!BROKEN!!', 'exit 1'), 'failure-marker': '!!BROKEN!!' }).promise,
    ).rejects.toThrow(/failure marker "!!BROKEN!!"/);
  });

  it('the builder terminating', async () => {
    await expect(run({ 'user-data': userData('terminate') }).promise).rejects.toThrow(
      /^phase provision failed: builder i-\w+ terminated during provision \(Server.InternalError: Internal error on launch\)$/,
    );
    expectNothingLeft();
  });

  it('a failed image, with AWS reason, deregistered with its snapshot', async () => {
    await expect(run({ 'user-data': userData('image-fail snapshot copy failed') }).promise).rejects.toThrow(
      /^phase image failed: image ami-\w+ in us-east-1 is failed \(Client.InvalidImage: snapshot copy failed\)$/,
    );
    expect(cloud.mutations()).toEqual(
      expect.arrayContaining([
        `DeregisterImage ${REGION}`,
        `DeleteSnapshot ${REGION}`,
        `TerminateInstances ${REGION}`,
      ]),
    );
    expectNothingLeft();
  });

  it('a hang runs out of timeout, naming the phase', async () => {
    const err = await run({
      'user-data': userData('hang'),
      timeout: '5m',
      'poll-interval': '10',
    }).promise.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).phase).toBe('provision');
    expect((err as Error).message).toMatch(
      /^timeout \(5m\) ran out during phase provision: .*last seen: running/,
    );
    expectNothingLeft();
  });

  it('cancellation while provisioning terminates the builder', async () => {
    const controller = new AbortController();
    const ctx = cloud.context(controller.signal);
    ctx.log.info = (m) => {
      ctx.log.lines.push(m);
      if (m.startsWith('builder ') && m.includes('running')) controller.abort();
    };
    const err = await run({}, ctx).promise.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect((err as Error).message).toMatch(/during phase provision/);
    expectNothingLeft();
  });

  it('cancellation while the image is pending deregisters it', async () => {
    const controller = new AbortController();
    const ctx = cloud.context(controller.signal);
    ctx.log.info = (m) => {
      ctx.log.lines.push(m);
      if (m.startsWith('Creating image')) controller.abort();
    };
    await expect(run({}, ctx).promise).rejects.toThrow(AbortedError);
    expectNothingLeft();
  });

  it('an unknown source AMI fails in phase source before anything is launched', async () => {
    await expect(run({ 'source-ami': 'ami-0000000000000000f' }).promise).rejects.toThrow(
      /^phase source failed: source-ami: ami-0000000000000000f does not exist in us-east-1/,
    );
    expect(cloud.mutations()).toEqual([]);
  });
});

describe('bake: source resolution', () => {
  it('resolves resolve:ssm: parameters', async () => {
    // localcloud's public parameter names its current Amazon Linux 2023 image, as AWS's does.
    const r = await run({
      'source-ami': 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
    }).promise;
    expect(r.sourceAmiId).toBe(AL2023);
    expect(r.sourceVia).toMatch(/SSM parameter/);
  });

  it('a missing SSM parameter is a clear failure', async () => {
    await expect(run({ 'source-ami': 'resolve:ssm:/nope' }).promise).rejects.toThrow(
      /source-ami: SSM parameter \/nope does not exist/,
    );
  });

  it('picks the newest available match of source-ami-filter by creation date', async () => {
    // Amazon's images in localcloud: al2023-ami-2023.6.20241111.0-kernel-6.1-x86_64 (2024-11-12),
    // …20241212.0-kernel-6.1-x86_64 (2024-12-13, AL2023) and …20241212.0-kernel-6.1-arm64
    // (2024-12-13, newer still, but not a match). Amazon publishes a newer one, still pending.
    const pending = seedImage(cloud.lc.world.region(REGION), {
      name: 'al2023-ami-2023.7.20250101.0-kernel-6.1-x86_64',
      creationDate: '2025-01-01T00:00:00.000Z',
      state: 'pending',
      public: true,
    });
    Object.assign(pending, { ownerId: AMAZON_OWNER_ID, ownerAlias: 'amazon' });
    delete pending.nextAt;
    const r = await run({ 'source-ami': '', 'source-ami-filter': 'al2023-ami-2023.*-x86_64' }).promise;
    expect(r.sourceAmiId).toBe(AL2023);
  });

  it('no filter match is a clear failure', async () => {
    await expect(run({ 'source-ami': '', 'source-ami-filter': 'ubuntu-*' }).promise).rejects.toThrow(
      /source-ami-filter: no available AMI named "ubuntu-\*" owned by amazon in us-east-1/,
    );
  });
});

describe('bake: copy and share', () => {
  it('copies to every region with tags and shares everywhere', async () => {
    const r = await run({
      'copy-to-regions': 'eu-west-1, ap-southeast-2',
      'share-with-accounts': '111122223333',
    }).promise;
    expect(Object.keys(r.amis).sort()).toEqual(['ap-southeast-2', 'eu-west-1', 'us-east-1']);
    for (const [region, id] of Object.entries(r.amis)) {
      const image = cloud.image(id)!;
      expect(image.region).toBe(region);
      expect(image.state).toBe('available');
      expect(tagsOf(image.tags)['golden-ami:fingerprint']).toBe(r.fingerprint);
      expect([...image.launchPermissionUserIds]).toEqual(['111122223333']);
    }
  });

  it('a reused AMI is copied only where no copy exists, and shared only once', async () => {
    await run({ 'copy-to-regions': 'eu-west-1', 'share-with-accounts': '111122223333' }).promise;
    const before = cloud.lastMutation();
    const again = await run({
      'copy-to-regions': 'eu-west-1, ap-southeast-2',
      'share-with-accounts': '111122223333',
    }).promise;
    expect(again.reused).toBe(true);
    expect(cloud.mutations({ since: before })).toEqual([
      // The new copy region is recorded on the AMI first, so a janitor finds a killed copy there.
      'CreateTags us-east-1',
      'CopyImage ap-southeast-2',
      'ModifyImageAttribute ap-southeast-2',
      'CreateTags ap-southeast-2',
    ]);
    expect([...cloud.image(again.amis['ap-southeast-2']!)!.launchPermissionUserIds]).toEqual([
      '111122223333',
    ]);
  });
});

describe('bake: share-snapshots', () => {
  const snapshotsOf = (amis: Record<string, string>) =>
    Object.values(amis).flatMap((id) =>
      cloud.image(id)!.blockDeviceMappings.map((m) => cloud.snapshot(m.Ebs!.SnapshotId!)!),
    );
  const grantees = (amis: Record<string, string>) =>
    snapshotsOf(amis).map((s) => (s.createVolumeUserIds ? [...s.createVolumeUserIds] : undefined));

  it('grants createVolumePermission on every snapshot of the AMI and its copies; on reuse only what is missing', async () => {
    const plain = await run({ 'copy-to-regions': 'eu-west-1', 'share-with-accounts': '111122223333' })
      .promise;
    expect(grantees(plain.amis)).toEqual([undefined, undefined]);

    const before = cloud.lastMutation();
    const shared = await run({
      'copy-to-regions': 'eu-west-1',
      'share-with-accounts': '111122223333, 444455556666',
      'share-snapshots': 'true',
    }).promise;
    expect(shared.reused).toBe(true);
    expect(grantees(shared.amis)).toEqual([
      ['111122223333', '444455556666'],
      ['111122223333', '444455556666'],
    ]);
    expect(cloud.mutations({ since: before, operation: 'ModifySnapshotAttribute' })).toHaveLength(2);

    const again = cloud.lastMutation();
    await run({
      'copy-to-regions': 'eu-west-1',
      'share-with-accounts': '111122223333, 444455556666',
      'share-snapshots': 'true',
    }).promise;
    expect(cloud.mutations({ since: again }).filter((m) => m.startsWith('Modify'))).toEqual([]);
  });
});

describe('bake: tags follow the image', () => {
  it('on reuse, changed tags reach the AMI, its snapshots and every copy, and the log says so', async () => {
    const first = await run({ tags: 'team=web, tier=1', 'copy-to-regions': 'eu-west-1' }).promise;
    const { promise, ctx } = run({ tags: 'team=payments, tier=1', 'copy-to-regions': 'eu-west-1' });
    const again = await promise;
    expect(again.reused).toBe(true);
    for (const id of Object.values(first.amis)) {
      const image = cloud.image(id)!;
      expect(tagsOf(image.tags)).toMatchObject({ team: 'payments', tier: '1' });
      for (const m of image.blockDeviceMappings)
        expect(tagsOf(cloud.snapshot(m.Ebs!.SnapshotId!)!.tags).team).toBe('payments');
    }
    expect(ctx.log.lines.filter((l) => l.startsWith('Tags changed since'))).toHaveLength(2);
    expect(ctx.log.lines).toContainEqual(expect.stringMatching(/team=payments \(was web\)/));
  });
});

describe('bake: janitor', () => {
  /** A stopped builder an earlier bake left behind. */
  async function leftBuilder(expiresAt: string): Promise<string> {
    const ec2 = cloud.clients.ec2();
    const tags = [
      { Key: 'golden-ami:builder', Value: 'old' },
      { Key: 'golden-ami:expires-at', Value: expiresAt },
    ];
    const out = await ec2.send(
      new RunInstancesCommand({
        ImageId: AL2023,
        InstanceType: 't3.medium',
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [{ ResourceType: 'instance', Tags: tags }],
      }),
    );
    const id = out.Instances![0]!.InstanceId!;
    await cloud.clock.sleep(UNIT_DURATIONS.instanceBoot);
    await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    await cloud.clock.sleep(UNIT_DURATIONS.instanceStop);
    expect(cloud.instance(id)!.state).toBe('stopped');
    return id;
  }

  it('terminates builders of earlier bakes past their expiry, and leaves live ones', async () => {
    const expired = await leftBuilder('2020-01-01T00:00:00.000Z');
    const live = await leftBuilder('2099-01-01T00:00:00.000Z');
    const before = cloud.lastMutation();
    const r = await run({}).promise;
    expect(r.janitor.map((b) => b.instanceId)).toEqual([expired]);
    expect(cloud.calls({ operation: 'TerminateInstances' })[0]!.params).toEqual({ InstanceIds: [expired] });
    expect(cloud.mutations({ since: before, operation: 'TerminateInstances' })).toHaveLength(2);
    // Terminated while the bake went on.
    expect(cloud.instance(expired)!.state).toBe('terminated');
    expect(cloud.instance(live)!.state).toBe('stopped');
  });
});

describe('bake: dry run', () => {
  it('resolves and validates, prints the plan, creates nothing', async () => {
    const { promise, ctx } = run({
      'dry-run': 'true',
      'copy-to-regions': 'eu-west-1',
      'share-with-accounts': '111122223333',
    });
    const r = await promise;
    expect(cloud.mutations()).toEqual([]);
    expect(r).toMatchObject({ dryRun: true, reused: false, sourceAmiId: source });
    expect(r.amiId).toBeUndefined();
    expect(r.plan.join('\n')).toMatch(/Would launch a t3.medium builder/);
    expect(r.plan.join('\n')).toMatch(/Would copy to eu-west-1/);
    expect(ctx.log.lines).toContain('[Plan (dry run: nothing created)]');
  });

  it('says it would reuse an unchanged AMI', async () => {
    const first = await run({}).promise;
    const before = cloud.lastMutation();
    const r = await run({ 'dry-run': 'true' }).promise;
    expect(r).toMatchObject({ reused: true, amiId: first.amiId });
    expect(r.plan.join('\n')).toMatch(/Would reuse/);
    expect(cloud.mutations({ since: before })).toEqual([]);
  });

  it('a reuse plans only the missing copies and outputs the AMIs a real run would', async () => {
    const first = await run({ 'copy-to-regions': 'eu-west-1' }).promise;
    const r = await run({ 'dry-run': 'true', 'copy-to-regions': 'eu-west-1, ap-southeast-2' }).promise;
    expect(r.amis).toEqual(first.amis);
    expect(r.plan.join('\n')).toMatch(
      new RegExp(`Would reuse the copy ${first.amis['eu-west-1']} in eu-west-1`),
    );
    expect(r.plan.join('\n')).toMatch(/Would copy to ap-southeast-2\.$/m);
  });

  it('warns, even in a dry run, when provision-scripts have no instance profile for SSM', async () => {
    const { promise, ctx } = run({
      'dry-run': 'true',
      'user-data': '',
      'provision-scripts': 'user-data.sh',
      platform: 'linux',
    });
    await promise;
    expect(ctx.log.lines).toContainEqual(
      expect.stringMatching(/^warning: provision-scripts: no iam-instance-profile given/),
    );
  });

  it('warns that reuse-max-age is ignored with reuse-if-unchanged: false, and bakes (a forced rebake)', async () => {
    const { promise, ctx } = run({
      'dry-run': 'true',
      'reuse-max-age': '30d',
      'reuse-if-unchanged': 'false',
    });
    await promise;
    expect(ctx.log.lines).toContainEqual(
      'warning: reuse-max-age: ignored, reuse-if-unchanged is false (every run bakes anew)',
    );
    const quiet = run({ 'dry-run': 'true', 'reuse-max-age': '30d' });
    await quiet.promise;
    expect(quiet.ctx.log.lines.filter((l) => l.includes('reuse-max-age'))).toEqual([]);
  });
});

describe('bake: summary', () => {
  it('shows the image, its regions and the time of each phase', async () => {
    const r: BakeResult = await run({ 'copy-to-regions': 'eu-west-1' }).promise;
    const md = renderBakeSummary(r);
    expect(md).toContain(`\`${r.amiId!}\``);
    expect(md).toContain(`| eu-west-1 | \`${r.amis['eu-west-1']!}\` |`);
    for (const phase of ['janitor', 'source', 'reuse', 'launch', 'provision', 'image', 'copy', 'cleanup'])
      expect(md).toContain(`| ${phase} |`);
  });
});
