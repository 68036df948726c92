import { bake, type BakeResult } from '../../../src/bake/bake.js';
import { renderBakeSummary } from '../../../src/bake/summary.js';
import { AbortedError, ActionFailure, ConfigurationError, TimeoutError } from '../../../src/core/errors.js';
import { context, FakeCloud, REGION, type FakeImage } from './fake-cloud.js';
import { bakeOptions, workspace } from './options.js';

const LINUX_USER_DATA = '#!/bin/bash\nset -e\ndnf -y install nginx\nshutdown -h now\n';

let cloud: FakeCloud;
let source: FakeImage;
let dir: string;

beforeEach(() => {
  cloud = new FakeCloud();
  source = cloud.addImage({ name: 'al2023-ami-2023.1-x86_64' });
  dir = workspace({
    'user-data.sh': LINUX_USER_DATA,
    'install.ps1': 'choco install dotnet-runtime\n',
    'tentacle.ps1': 'msiexec /i Octopus.Tentacle.msi /quiet\n',
  });
});
afterEach(() => cloud.restore());

const run = (inputs: Record<string, string>, ctx = context(cloud)) => {
  const o = bakeOptions(
    { name: 'web', 'source-ami': source.id, 'user-data': LINUX_USER_DATA, ...inputs },
    { workingDirectory: dir },
  );
  return { promise: bake(ctx, o), o, ctx };
};

function expectNothingLeft(): void {
  expect(cloud.liveInstances()).toEqual([]);
  expect(cloud.liveImages().filter((i) => i.owner === 'self')).toEqual([]);
  expect([...cloud.snapshots.values()].filter((s) => !s.deleted)).toEqual([]);
}

describe('bake: Linux user data', () => {
  it('bakes an available AMI tagged with provenance, snapshots tagged too, builder terminated', async () => {
    const { promise, o } = run({ tags: 'team=web, env=prod' });
    const r = await promise;
    const image = cloud.images.get(r.amiId!)!;
    expect(image.state).toBe('available');
    expect(image.name).toMatch(/^web-\d{14}$/);
    expect(r.amiName).toBe(image.name);
    expect(image.tags).toMatchObject({
      team: 'web',
      env: 'prod',
      'golden-ami:fingerprint': r.fingerprint,
      'golden-ami:source-ami': source.id,
      'golden-ami:commit': o.commit,
      'golden-ami:run-url': o.runUrl,
      'golden-ami:name': 'web',
    });
    expect(cloud.snapshots.get(image.snapshots[0]!)!.tags).toMatchObject({
      'golden-ami:fingerprint': r.fingerprint,
    });
    expect(r).toMatchObject({
      reused: false,
      sourceAmiId: source.id,
      amis: { [REGION]: r.amiId },
      platform: 'linux',
    });
    expect(r.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    // The builder is gone and was launched as the issue asks.
    const builder = cloud.instances.get(r.builderInstanceId!)!;
    expect(cloud.liveInstances()).toEqual([]);
    expect(builder.request).toMatchObject({
      InstanceType: 't3.medium',
      MetadataOptions: { HttpTokens: 'required' },
      InstanceInitiatedShutdownBehavior: 'stop',
    });
    // The runner trims inputs, as @actions/core does.
    expect(builder.userData).toBe(LINUX_USER_DATA.trim());
    expect(Date.parse(builder.tags['golden-ami:expires-at']!)).toBeGreaterThan(
      1_700_000_000_000 + 60 * 60_000,
    );
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
    expect(r.amiName).toBe(
      `web-${new Date(1_700_000_000_000).toISOString().replace(/[-:T]/g, '').slice(0, 14)}`,
    );
  });

  it('sets the root volume, encryption and network settings on the builder', async () => {
    const r = await run({
      'volume-size': '50',
      encrypted: 'true',
      'kms-key-id': 'alias/golden',
      'subnet-id': 'subnet-0123456789abcdef0',
      'security-group-ids': 'sg-0123456789abcdef0',
      'iam-instance-profile': 'bake-profile',
    }).promise;
    expect(cloud.instances.get(r.builderInstanceId!)!.request).toMatchObject({
      BlockDeviceMappings: [
        { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 50, Encrypted: true, KmsKeyId: 'alias/golden' } },
      ],
      SubnetId: 'subnet-0123456789abcdef0',
      SecurityGroupIds: ['sg-0123456789abcdef0'],
      IamInstanceProfile: { Name: 'bake-profile' },
    });
  });

  it('fails before launching when the subnet does not exist', async () => {
    await expect(run({ 'subnet-id': 'subnet-0000000000000000f' }).promise).rejects.toThrow(
      /subnet-id: subnet-0000000000000000f does not exist/,
    );
    expect(cloud.mutations).toEqual([]);
  });

  it('reads user-data-file relative to the workspace', async () => {
    const { promise } = run({ 'user-data': '', 'user-data-file': 'user-data.sh' });
    const r = await promise;
    expect(cloud.instances.get(r.builderInstanceId!)!.userData).toBe(LINUX_USER_DATA);
  });

  it('a missing user-data-file is an input error before any AWS call', async () => {
    await expect(run({ 'user-data': '', 'user-data-file': 'nope.sh' }).promise).rejects.toThrow(
      ConfigurationError,
    );
    await expect(run({ 'user-data': '', 'user-data-file': 'nope.sh' }).promise).rejects.toThrow(
      /user-data-file: cannot read "nope.sh" \(no such file\)/,
    );
    expect(cloud.ec2Clients.get(REGION)).toBeDefined();
    expect(cloud.stubs[0]!.calls()).toHaveLength(0);
    expect(cloud.ssmStub.calls()).toHaveLength(0);
  });
});

describe('bake: a retried CreateImage (its first response lost)', () => {
  const name = `web-${new Date(1_700_000_000_000).toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;

  it('adopts the image the first call made for this bake', async () => {
    const first = cloud.addImage({ name, owner: 'self', tags: { 'golden-ami:bake-id': '4242-1-abcd0123' } });
    const r = await run({}).promise;
    expect(r.amiId).toBe(first.id);
  });

  it('fails clearly when the name belongs to another bake', async () => {
    cloud.addImage({ name, owner: 'self', tags: { 'golden-ami:bake-id': 'other' } });
    await expect(run({}).promise).rejects.toThrow(
      /^phase image failed: CreateImage from i-\w+: AMI name web-\d+ is already in use/,
    );
    expect(cloud.liveInstances()).toEqual([]);
  });
});

describe('bake: reuse', () => {
  it('returns the same AMI on an identical second run, launching nothing', async () => {
    const first = await run({}).promise;
    const launches = cloud.mutations.filter((m) => m === 'RunInstances').length;
    const second = await run({}).promise;
    expect(second).toMatchObject({
      reused: true,
      amiId: first.amiId,
      amiName: first.amiName,
      fingerprint: first.fingerprint,
    });
    expect(second.builderInstanceId).toBeUndefined();
    expect(cloud.mutations.filter((m) => m === 'RunInstances')).toHaveLength(launches);
  });

  it('bakes again when the provisioning or source changes, or reuse is off', async () => {
    const first = await run({}).promise;
    const next = context(cloud);
    next.clock.advance(60_000);
    const changed = await run({ 'user-data': `${LINUX_USER_DATA}# v2\n` }, next).promise;
    expect(changed.amiId).not.toBe(first.amiId);
    expect(changed.reused).toBe(false);
    expect(changed.fingerprint).not.toBe(first.fingerprint);
    const later = context(cloud);
    later.clock.advance(120_000);
    const forced = await run({ 'reuse-if-unchanged': 'false' }, later).promise;
    expect(forced.reused).toBe(false);
    expect(forced.amiId).not.toBe(first.amiId);
  });

  it('does not reuse an AMI of another bake name with the same content', async () => {
    const first = await run({}).promise;
    const other = await run({ name: 'api' }).promise;
    expect(other.fingerprint).toBe(first.fingerprint);
    expect(other.reused).toBe(false);
  });
});

describe('bake: provision scripts over SSM', () => {
  it('runs Windows scripts in order as PowerShell, then sysprep shuts the builder down', async () => {
    source.platform = 'windows';
    const { promise, ctx } = run({
      'user-data': '',
      'provision-scripts': 'install.ps1\ntentacle.ps1',
      'iam-instance-profile': 'ssm',
    });
    const r = await promise;
    expect(r.platform).toBe('windows');
    const commands = [...cloud.commands.values()];
    expect(commands.map((c) => c.document)).toEqual([
      'AWS-RunPowerShellScript',
      'AWS-RunPowerShellScript',
      'AWS-RunPowerShellScript',
    ]);
    expect(commands[0]!.script).toContain('choco install');
    expect(commands[1]!.script).toContain('Octopus.Tentacle.msi');
    expect(commands[2]!.script).toMatch(/ec2launch\.exe" sysprep --shutdown/);
    expect(cloud.images.get(r.amiId!)!.state).toBe('available');
    expect(cloud.liveInstances()).toEqual([]);
    // Script output is streamed into the log.
    expect(ctx.log.lines).toContain('ran msiexec /i Octopus.Tentacle.msi /quiet');
  });

  it('runs Linux scripts as shell and stops the builder through the API', async () => {
    const { promise } = run({ 'user-data': '', 'provision-scripts': 'user-data.sh', platform: 'linux' });
    await promise;
    expect([...cloud.commands.values()].map((c) => c.document)).toEqual(['AWS-RunShellScript']);
    expect(cloud.mutations).toContain('StopInstances');
  });

  it('a script exiting non-zero fails the provision phase with its exit code and stderr, leaving nothing', async () => {
    source.platform = 'windows';
    cloud.behaviour.scriptExit = { 'Octopus.Tentacle': 1603 };
    const err = await run({ 'user-data': '', 'provision-scripts': 'install.ps1,tentacle.ps1' }).promise.catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ActionFailure);
    expect((err as Error).message).toBe(
      'phase provision failed: provision script tentacle.ps1 failed (exit code 1603): E: package not found',
    );
    expectNothingLeft();
  });
});

describe('bake: failures are detected early, name the phase, and leave nothing', () => {
  it('the failure marker on the console', async () => {
    cloud.behaviour.console = ['installing nginx', 'BAKE-FAILED: nginx did not start'];
    const { promise, ctx } = run({});
    await expect(promise).rejects.toThrow(
      /^phase provision failed: builder i-\w+ printed the failure marker "BAKE-FAILED": BAKE-FAILED: nginx did not start$/,
    );
    expectNothingLeft();
    expect(ctx.log.lines).toContain('console: installing nginx');
  });

  it('a custom failure marker', async () => {
    cloud.behaviour.console = ['!!BROKEN!!'];
    await expect(run({ 'failure-marker': '!!BROKEN!!' }).promise).rejects.toThrow(
      /failure marker "!!BROKEN!!"/,
    );
  });

  it('the builder terminating', async () => {
    cloud.behaviour.terminate = true;
    await expect(run({}).promise).rejects.toThrow(
      /^phase provision failed: builder i-\w+ terminated during provision \(Client.InternalError/,
    );
    expectNothingLeft();
  });

  it('a failed image, with AWS reason, deregistered with its snapshot', async () => {
    cloud.behaviour.imageFail = 'snapshot copy failed';
    await expect(run({}).promise).rejects.toThrow(
      /^phase image failed: image ami-\w+ in us-east-1 is failed \(Client.ImageFailed: snapshot copy failed\)$/,
    );
    expect(cloud.mutations).toEqual(
      expect.arrayContaining(['DeregisterImage', 'DeleteSnapshot', 'TerminateInstances']),
    );
    expectNothingLeft();
  });

  it('a hang runs out of timeout-minutes, naming the phase', async () => {
    cloud.behaviour.hang = true;
    const err = await run({ 'timeout-minutes': '5', 'poll-interval-seconds': '10' }).promise.catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).phase).toBe('provision');
    expect((err as Error).message).toMatch(
      /^timeout-minutes \(5\) ran out during phase provision: .*last seen: running/,
    );
    expectNothingLeft();
  });

  it('cancellation while provisioning terminates the builder', async () => {
    const controller = new AbortController();
    const ctx = context(cloud, controller.signal);
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
    const ctx = context(cloud, controller.signal);
    ctx.log.info = (m) => {
      ctx.log.lines.push(m);
      if (m.startsWith('Creating image')) controller.abort();
    };
    cloud.behaviour.imagePolls = 3;
    await expect(run({}, ctx).promise).rejects.toThrow(AbortedError);
    expectNothingLeft();
  });

  it('an unknown source AMI fails in phase source before anything is launched', async () => {
    await expect(run({ 'source-ami': 'ami-0000000000000000f' }).promise).rejects.toThrow(
      /^phase source failed: source-ami: ami-0000000000000000f does not exist in us-east-1/,
    );
    expect(cloud.mutations).toEqual([]);
  });
});

describe('bake: source resolution', () => {
  it('resolves resolve:ssm: parameters', async () => {
    cloud.parameters.set('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64', source.id);
    const r = await run({
      'source-ami': 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
    }).promise;
    expect(r.sourceAmiId).toBe(source.id);
    expect(r.sourceVia).toMatch(/SSM parameter/);
  });

  it('a missing SSM parameter is a clear failure', async () => {
    await expect(run({ 'source-ami': 'resolve:ssm:/nope' }).promise).rejects.toThrow(
      /source-ami: SSM parameter \/nope does not exist/,
    );
  });

  it('picks the newest available match of source-ami-filter by creation date', async () => {
    const newer = cloud.addImage({ name: 'al2023-ami-2023.2-x86_64', created: '2024-06-01T00:00:00.000Z' });
    cloud.addImage({
      name: 'al2023-ami-2023.3-x86_64',
      created: '2024-09-01T00:00:00.000Z',
      state: 'pending',
    });
    cloud.addImage({ name: 'al2023-ami-2023.9-arm64', created: '2024-12-01T00:00:00.000Z' });
    const r = await run({ 'source-ami': '', 'source-ami-filter': 'al2023-ami-2023.*-x86_64' }).promise;
    expect(r.sourceAmiId).toBe(newer.id);
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
      const image = cloud.images.get(id)!;
      expect(image.region).toBe(region);
      expect(image.state).toBe('available');
      expect(image.tags['golden-ami:fingerprint']).toBe(r.fingerprint);
      expect(image.launchPermissions).toEqual(['111122223333']);
    }
  });

  it('a reused AMI is copied only where no copy exists, and shared only once', async () => {
    await run({ 'copy-to-regions': 'eu-west-1', 'share-with-accounts': '111122223333' }).promise;
    const before = cloud.mutations.length;
    const again = await run({
      'copy-to-regions': 'eu-west-1, ap-southeast-2',
      'share-with-accounts': '111122223333',
    }).promise;
    expect(again.reused).toBe(true);
    expect(cloud.mutations.slice(before)).toEqual([
      'CopyImage:ap-southeast-2',
      'ModifyImageAttribute',
      'CreateTags',
    ]);
    expect(cloud.images.get(again.amis['ap-southeast-2']!)!.launchPermissions).toEqual(['111122223333']);
  });
});

describe('bake: share-snapshots', () => {
  const snapshotsOf = (amis: Record<string, string>) =>
    Object.values(amis).flatMap((id) => cloud.images.get(id)!.snapshots.map((s) => cloud.snapshots.get(s)!));

  it('grants createVolumePermission on every snapshot of the AMI and its copies; on reuse only what is missing', async () => {
    const plain = await run({ 'copy-to-regions': 'eu-west-1', 'share-with-accounts': '111122223333' })
      .promise;
    expect(snapshotsOf(plain.amis).map((s) => s.createVolumeUserIds)).toEqual([undefined, undefined]);

    const before = cloud.mutations.length;
    const shared = await run({
      'copy-to-regions': 'eu-west-1',
      'share-with-accounts': '111122223333, 444455556666',
      'share-snapshots': 'true',
    }).promise;
    expect(shared.reused).toBe(true);
    expect(snapshotsOf(shared.amis).map((s) => s.createVolumeUserIds)).toEqual([
      ['111122223333', '444455556666'],
      ['111122223333', '444455556666'],
    ]);
    expect(cloud.mutations.slice(before).filter((m) => m === 'ModifySnapshotAttribute')).toHaveLength(2);

    const again = cloud.mutations.length;
    await run({
      'copy-to-regions': 'eu-west-1',
      'share-with-accounts': '111122223333, 444455556666',
      'share-snapshots': 'true',
    }).promise;
    expect(cloud.mutations.slice(again).filter((m) => m.startsWith('Modify'))).toEqual([]);
  });
});

describe('bake: tags follow the image', () => {
  it('on reuse, changed tags reach the AMI, its snapshots and every copy, and the log says so', async () => {
    const first = await run({ tags: 'team=web, tier=1', 'copy-to-regions': 'eu-west-1' }).promise;
    const { promise, ctx } = run({ tags: 'team=payments, tier=1', 'copy-to-regions': 'eu-west-1' });
    const again = await promise;
    expect(again.reused).toBe(true);
    for (const id of Object.values(first.amis)) {
      const image = cloud.images.get(id)!;
      expect(image.tags).toMatchObject({ team: 'payments', tier: '1' });
      for (const snap of image.snapshots) expect(cloud.snapshots.get(snap)!.tags.team).toBe('payments');
    }
    expect(ctx.log.lines.filter((l) => l.startsWith('Tags changed since'))).toHaveLength(2);
    expect(ctx.log.lines).toContainEqual(expect.stringMatching(/team=payments \(was web\)/));
  });
});

describe('bake: janitor', () => {
  it('terminates builders of earlier bakes past their expiry, and leaves live ones', async () => {
    const expired = { id: 'i-0000000000000000a', expires: '2020-01-01T00:00:00.000Z' };
    const live = { id: 'i-0000000000000000b', expires: '2099-01-01T00:00:00.000Z' };
    for (const b of [expired, live])
      cloud.instances.set(b.id, {
        id: b.id,
        region: REGION,
        state: 'stopped',
        tags: { 'golden-ami:builder': 'old', 'golden-ami:expires-at': b.expires },
        userData: '',
        console: [],
        pollsLeft: 0,
      });
    const r = await run({}).promise;
    expect(r.janitor.map((b) => b.instanceId)).toEqual([expired.id]);
    expect(cloud.instances.get(expired.id)!.state).toBe('shutting-down');
    expect(cloud.instances.get(live.id)!.state).toBe('stopped');
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
    expect(cloud.mutations).toEqual([]);
    expect(r).toMatchObject({ dryRun: true, reused: false, sourceAmiId: source.id });
    expect(r.amiId).toBeUndefined();
    expect(r.plan.join('\n')).toMatch(/Would launch a t3.medium builder/);
    expect(r.plan.join('\n')).toMatch(/Would copy to eu-west-1/);
    expect(ctx.log.lines).toContain('[Plan (dry run: nothing created)]');
  });

  it('says it would reuse an unchanged AMI', async () => {
    const first = await run({}).promise;
    const before = cloud.mutations.length;
    const r = await run({ 'dry-run': 'true' }).promise;
    expect(r).toMatchObject({ reused: true, amiId: first.amiId });
    expect(r.plan.join('\n')).toMatch(/Would reuse/);
    expect(cloud.mutations.length).toBe(before);
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
