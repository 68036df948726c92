import { ActionFailure, ConfigurationError } from '../../../src/core/errors.js';
import { parseInputs } from '../../../src/core/inputs.js';
import { rollSpec } from '../../../src/roll/inputs.js';
import { rollOptionsFrom, type RollOptions } from '../../../src/roll/options.js';
import { roll, RollFailure, type RollResult } from '../../../src/roll/roll.js';
import { awsError, FakeCloud, type FakeRegion } from './fake-aws.js';

const OLD = 'ami-00000000000000a1d';
const NEW = 'ami-00000000000000b2e';

/** Groups selected by tags consent to /golden-ami/web, as a fleet set up for the pipeline does. */
const CONSENT = { 'golden-ami:parameter': '/golden-ami/web' };

function options(inputs: Record<string, string>): RollOptions {
  const all = {
    region: 'us-east-1',
    'poll-interval-seconds': '1',
    'consent-parameter': '/golden-ami/web',
    ...inputs,
  };
  return rollOptionsFrom(
    parseInputs(rollSpec, { input: (n) => all[n as keyof typeof all] ?? '', env: () => undefined }),
  );
}

function cloudWith(...regions: string[]): { cloud: FakeCloud; r: FakeRegion } {
  const cloud = new FakeCloud(...(regions.length ? regions : ['us-east-1']));
  for (const r of cloud.regions.values()) r.images.add(OLD).add(NEW);
  return { cloud, r: cloud.region(regions[0] ?? 'us-east-1') };
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the roll to fail');
}

describe('roll: literal-AMI launch template', () => {
  it('creates a version from the current one with only the image changed, refreshes to it and records the previous version', async () => {
    const { cloud, r } = cloudWith();
    const lt = r.addTemplate('web', [OLD, OLD], { InstanceType: 'c7g.large', UserData: 'IyEvYmluL3No' });
    r.addGroup('web', { template: lt, version: '2', size: 3 });

    const result = await roll(cloud.ctx(), options({ 'asg-names': 'web', 'ami-id': NEW }));

    expect(lt.versions.get(3)).toEqual({ InstanceType: 'c7g.large', UserData: 'IyEvYmluL3No', ImageId: NEW });
    expect(result.refreshes).toEqual([
      {
        region: 'us-east-1',
        group: 'web',
        refreshId: expect.any(String),
        amiId: NEW,
        previousAmiId: OLD,
        imageSource: 'launch-template',
        launchTemplate: { id: lt.id, name: 'web', version: '3' },
        newVersion: '3',
        previousVersion: '2',
      },
    ]);
    const started = r.refreshes.get('web')![0]!;
    expect(started.preferences).toMatchObject({
      MinHealthyPercentage: 90,
      MaxHealthyPercentage: 100,
      SkipMatching: true,
      AutoRollback: true,
    });
    r.completeRefreshes();
    expect(r.groups.get('web')!.launchTemplate).toEqual({ LaunchTemplateId: lt.id, Version: '3' });
    expect(r.instanceImages('web')).toEqual([NEW, NEW, NEW]);
    expect(result.asgNames).toEqual(['web']);
  });

  it('pins a group that follows $Latest to the new number and records the number it ran before', async () => {
    const { cloud, r } = cloudWith();
    const lt = r.addTemplate('api', [OLD, OLD, OLD, OLD]);
    r.addGroup('api', { template: lt, version: '$Latest' });

    const result = await roll(cloud.ctx(), options({ 'asg-names': 'api', 'ami-id': NEW }));

    expect(result.refreshes[0]).toMatchObject({ newVersion: '5', previousVersion: '4' });
    expect(result.groups[0]!.template).toMatchObject({
      requested: '$Latest',
      previousVersion: 4,
      version: 5,
      created: true,
    });
    // Pinned to the number it ran before the refresh started, so AWS can roll it back.
    expect(r.mutations.filter((m) => /UpdateAutoScalingGroup|StartInstanceRefresh/.test(m))).toEqual([
      `UpdateAutoScalingGroup api ${lt.id}@4`,
      expect.stringMatching(/^StartInstanceRefresh api/),
    ]);
    expect(r.groups.get('api')!.launchTemplate!.Version).toBe('4');
    r.completeRefreshes();
    expect(r.groups.get('api')!.launchTemplate!.Version).toBe('5');
  });

  it('puts a $Latest group back on $Latest when its refresh does not start', async () => {
    const { cloud, r } = cloudWith();
    const lt = r.addTemplate('api', [OLD, OLD]);
    r.addGroup('api', { template: lt, version: '$Latest' });
    r.faults.set('StartInstanceRefresh', () => awsError('AccessDenied', 403, 'not authorized'));

    await failure(roll(cloud.ctx(), options({ 'asg-names': 'api', 'ami-id': NEW })));

    expect(r.mutations.filter((m) => m.startsWith('UpdateAutoScalingGroup'))).toEqual([
      `UpdateAutoScalingGroup api ${lt.id}@2`,
      `UpdateAutoScalingGroup api ${lt.id}@$Latest`,
    ]);
    expect(r.groups.get('api')!.launchTemplate!.Version).toBe('$Latest');
  });

  it('makes one new version for groups sharing a template version, and moves the default when asked', async () => {
    const { cloud, r } = cloudWith();
    const lt = r.addTemplate('shared', [OLD]);
    r.addGroup('a', { template: lt, tags: { Environment: 'staging', ...CONSENT } });
    r.addGroup('b', { template: lt, tags: { Environment: 'staging', ...CONSENT } });

    const result = await roll(
      cloud.ctx(),
      options({ 'asg-tags': 'Environment=staging', 'ami-id': NEW, 'set-default-version': 'true' }),
    );

    expect([...lt.versions.keys()]).toEqual([1, 2]);
    expect(result.refreshes.map((x) => x.newVersion)).toEqual(['2', '2']);
    expect(lt.defaultVersion).toBe(2);
  });

  it('reports a group already on the AMI as already current, and refreshes it anyway without skip matching', async () => {
    const { cloud, r } = cloudWith();
    const lt = r.addTemplate('web', [NEW]);
    r.addGroup('web', { template: lt });

    const current = await roll(cloud.ctx(), options({ 'asg-names': 'web', 'ami-id': NEW }));
    expect(current.groups.map((g) => g.status)).toEqual(['already-current']);
    expect(current.refreshes).toEqual([]);
    expect(cloud.mutations).toEqual([]);

    const forced = await roll(
      cloud.ctx(),
      options({ 'asg-names': 'web', 'ami-id': NEW, 'skip-matching': 'false' }),
    );
    expect(forced.refreshes).toEqual([expect.objectContaining({ newVersion: '1', previousVersion: '1' })]);
    expect(lt.versions.size).toBe(1);
  });

  it('refreshes a group whose template has the AMI but whose instances do not, without a new version', async () => {
    const { cloud, r } = cloudWith();
    const lt = r.addTemplate('web', [NEW]);
    r.addGroup('web', { template: lt, instanceImage: OLD });

    const result = await roll(cloud.ctx(), options({ 'asg-names': 'web', 'ami-id': NEW }));

    expect(result.groups[0]).toMatchObject({
      status: 'refresh-started',
      previousAmiId: OLD,
      template: { version: 1, created: false },
    });
    expect(lt.versions.size).toBe(1);
  });
});

describe('roll: SSM-resolved template', () => {
  function ssmGroup() {
    const { cloud, r } = cloudWith();
    r.params.set('/golden-ami/web', OLD);
    const lt = r.addTemplate('web', ['resolve:ssm:/golden-ami/web']);
    r.addGroup('web', { template: lt, version: '$Default' });
    r.params.set('/golden-ami/web', NEW);
    return { cloud, r, lt };
  }

  it('refreshes without a new version, warns that AWS cannot roll back, and turns skip matching off', async () => {
    const { cloud, r, lt } = ssmGroup();

    const result = await roll(
      cloud.ctx(),
      options({ 'asg-names': 'web', 'ami-parameter': '/golden-ami/web', 'auto-rollback': 'false' }),
    );

    expect(lt.versions.size).toBe(1);
    expect(result.refreshes).toEqual([
      expect.objectContaining({
        group: 'web',
        amiId: NEW,
        previousAmiId: OLD,
        imageSource: 'ssm-parameter',
        previousVersion: '1',
      }),
    ]);
    expect(result.refreshes[0]).not.toHaveProperty('launchTemplate');
    const started = r.refreshes.get('web')![0]!;
    expect(started.desired).toBeUndefined();
    expect(started.preferences).toMatchObject({ SkipMatching: false, AutoRollback: false });
    expect(
      cloud.log.lines.some((l) => l.startsWith('warning:') && l.includes('cannot roll this refresh back')),
    ).toBe(true);
    r.completeRefreshes();
    expect(r.instanceImages('web')).toEqual([NEW, NEW]);
  });

  it('refuses auto-rollback for it before changing anything, naming the input', async () => {
    const { cloud } = ssmGroup();

    const err = await failure(roll(cloud.ctx(), options({ 'asg-names': 'web', 'ami-id': NEW })));

    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).toMatch(
      /auto-rollback: group web \(us-east-1\).*resolve:ssm:\/golden-ami\/web.*auto-rollback: false/,
    );
    expect(cloud.mutations).toEqual([]);
  });

  it('refuses when the parameter does not hold the AMI being rolled', async () => {
    const { cloud, r } = ssmGroup();
    r.params.set('/golden-ami/web', OLD);

    const err = await failure(
      roll(cloud.ctx(), options({ 'asg-names': 'web', 'ami-id': NEW, 'auto-rollback': 'false' })),
    );

    expect(err.message).toContain(`SSM parameter /golden-ami/web, which holds ${OLD}, not ${NEW}`);
    expect(cloud.mutations).toEqual([]);
  });
});

describe('roll: mixed instances policy', () => {
  it('versions the main and the override templates and keeps the rest of the policy', async () => {
    const { cloud, r } = cloudWith();
    const main = r.addTemplate('mixed-x86', [OLD]);
    const arm = r.addTemplate('mixed-arm', [OLD, OLD]);
    r.addGroup('mixed', {
      mixed: {
        LaunchTemplate: {
          LaunchTemplateSpecification: { LaunchTemplateName: 'mixed-x86', Version: '$Default' },
          Overrides: [
            { InstanceType: 'm7i.large' },
            {
              InstanceType: 'm7g.large',
              LaunchTemplateSpecification: { LaunchTemplateId: arm.id, Version: '2' },
            },
          ],
        },
        InstancesDistribution: {
          OnDemandBaseCapacity: 1,
          SpotAllocationStrategy: 'price-capacity-optimized',
        },
      },
    });

    const result = await roll(cloud.ctx(), options({ 'asg-names': 'mixed', 'ami-id': NEW }));

    expect(main.versions.get(2)?.ImageId).toBe(NEW);
    expect(arm.versions.get(3)?.ImageId).toBe(NEW);
    expect(result.refreshes[0]).toMatchObject({
      newVersion: '2',
      previousVersion: '1',
      launchTemplate: { id: main.id },
    });
    r.completeRefreshes();
    expect(r.groups.get('mixed')!.mixed).toEqual({
      LaunchTemplate: {
        LaunchTemplateSpecification: { LaunchTemplateId: main.id, Version: '2' },
        Overrides: [
          { InstanceType: 'm7i.large' },
          {
            InstanceType: 'm7g.large',
            LaunchTemplateSpecification: { LaunchTemplateId: arm.id, Version: '3' },
          },
        ],
      },
      InstancesDistribution: { OnDemandBaseCapacity: 1, SpotAllocationStrategy: 'price-capacity-optimized' },
    });
    expect(r.instanceImages('mixed')).toEqual([NEW, NEW]);
  });
});

describe('roll: checks before any change', () => {
  it('fails on a launch-configuration group with how to migrate, leaving the other groups untouched', async () => {
    const { cloud, r } = cloudWith();
    r.addGroup('legacy', { launchConfigurationName: 'legacy-lc', tags: { Environment: 'prod', ...CONSENT } });
    r.addGroup('web', { template: r.addTemplate('web', [OLD]), tags: { Environment: 'prod', ...CONSENT } });

    const err = await failure(roll(cloud.ctx(), options({ 'asg-tags': 'Environment=prod', 'ami-id': NEW })));

    expect(err).toBeInstanceOf(ActionFailure);
    expect(err.message).toMatch(
      /^Nothing was changed: group legacy \(us-east-1\) uses launch configuration legacy-lc.*update-auto-scaling-group --auto-scaling-group-name legacy --launch-template/,
    );
    expect(cloud.mutations).toEqual([]);
  });

  it('lists every region and filter searched when nothing matches', async () => {
    const { cloud } = cloudWith('us-east-1', 'eu-west-1');

    const err = await failure(
      roll(
        cloud.ctx(),
        options({ regions: 'us-east-1,eu-west-1', 'asg-tags': 'Environment=qa,Team=web', 'ami-id': NEW }),
      ),
    );

    expect(err.message).toBe(
      'No Auto Scaling group matched: searched us-east-1, eu-west-1 for tags Environment=qa, Team=web.',
    );
  });

  it('names a group given by name that exists nowhere', async () => {
    const { cloud, r } = cloudWith();
    r.addGroup('web', { template: r.addTemplate('web', [OLD]) });

    const err = await failure(roll(cloud.ctx(), options({ 'asg-names': 'web,wbe', 'ami-id': NEW })));

    expect(err.message).toContain('asg-names: no group named wbe in us-east-1');
    expect(cloud.mutations).toEqual([]);
  });

  it('fails when the AMI does not exist in a region, before any change', async () => {
    const { cloud, r } = cloudWith('us-east-1', 'eu-west-1');
    cloud.region('eu-west-1').images.delete(NEW);
    r.addGroup('web', { template: r.addTemplate('web', [OLD]) });
    cloud
      .region('eu-west-1')
      .addGroup('web', { template: cloud.region('eu-west-1').addTemplate('web', [OLD]) });

    const err = await failure(
      roll(cloud.ctx(), options({ regions: 'us-east-1,eu-west-1', 'asg-names': 'web', 'ami-id': NEW })),
    );

    expect(err.message).toBe(
      `ami-id: image ${NEW} does not exist in eu-west-1 (or is not visible to this account).`,
    );
    expect(cloud.mutations).toEqual([]);
  });

  it('reads ami-parameter in each region', async () => {
    const { cloud } = cloudWith('us-east-1', 'eu-west-1');
    const other = 'ami-00000000000000e7e';
    for (const [region, ami] of [
      ['us-east-1', NEW],
      ['eu-west-1', other],
    ] as const) {
      const r = cloud.region(region);
      r.images.add(ami);
      r.params.set('/golden-ami/web:prod', ami);
      r.addGroup('web', { template: r.addTemplate('web', [OLD]) });
    }

    const result = await roll(
      cloud.ctx(),
      options({
        regions: 'us-east-1,eu-west-1',
        'asg-names': 'web',
        'ami-parameter': '/golden-ami/web:prod',
      }),
    );

    expect(result.amiIds).toEqual({ 'us-east-1': NEW, 'eu-west-1': other });
    expect(result.refreshes.map((x) => [x.region, x.amiId])).toEqual([
      ['eu-west-1', other],
      ['us-east-1', NEW],
    ]);
  });

  it('dry run resolves and plans everything and changes nothing', async () => {
    const { cloud, r } = cloudWith();
    r.addGroup('web', { template: r.addTemplate('web', [OLD]) });
    r.addGroup('done', { template: r.addTemplate('done', [NEW]) });

    const result = await roll(
      cloud.ctx(),
      options({ 'asg-names': 'web,done', 'ami-id': NEW, 'dry-run': 'true' }),
    );

    expect(result.groups.map((g) => [g.group, g.status])).toEqual([
      ['done', 'already-current'],
      ['web', 'would-refresh'],
    ]);
    expect(result.refreshes).toEqual([]);
    expect(cloud.mutations).toEqual([]);
  });
});

describe('roll: many groups across regions', () => {
  it('rolls twenty tagged groups in two regions with at most max-concurrency starts in flight', async () => {
    const { cloud } = cloudWith('us-east-1', 'eu-west-1');
    let inFlight = 0;
    let most = 0;
    for (const r of cloud.regions.values()) {
      const lt = r.addTemplate('web', [OLD]);
      for (let i = 0; i < 10; i++)
        r.addGroup(`web-${i}`, {
          template: lt,
          tags: { Environment: 'staging', Role: 'web', ...CONSENT },
          size: 1,
        });
      r.addGroup('other', { template: lt, tags: { Environment: 'prod', Role: 'web' } });
      r.onStart = async () => {
        most = Math.max(most, ++inFlight);
        for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
      };
    }

    const result = await roll(
      cloud.ctx(),
      options({
        regions: 'us-east-1,eu-west-1',
        'asg-tags': 'Environment=staging\nRole=web',
        'ami-id': NEW,
        'max-concurrency': '3',
      }),
    );

    expect(result.refreshes).toHaveLength(20);
    expect(most).toBe(3);
    for (const r of cloud.regions.values()) {
      r.completeRefreshes();
      for (let i = 0; i < 10; i++) expect(r.instanceImages(`web-${i}`)).toEqual([NEW]);
      expect(r.refreshes.get('other')).toBeUndefined();
    }
  });
});

describe('roll: a refresh already in progress', () => {
  function busy() {
    const { cloud, r } = cloudWith();
    r.addGroup('web', { template: r.addTemplate('web', [OLD]) });
    const running = r.addRefresh('web', { status: 'InProgress', percentage: 40 });
    return { cloud, r, running };
  }

  it('fail: names the running refresh and changes nothing', async () => {
    const { cloud, running } = busy();

    const err = await failure(roll(cloud.ctx(), options({ 'asg-names': 'web', 'ami-id': NEW })));

    // A conflict with what runs now, not an input mistake: never reported as "Invalid input".
    expect(err).not.toBeInstanceOf(ConfigurationError);
    expect(err.message).toMatch(/^Nothing was changed: /);
    expect(err.message).toContain(
      `group web (us-east-1) already has instance refresh ${running.id} (InProgress, 40% complete)`,
    );
    expect(cloud.mutations).toEqual([]);
  });

  it('wait: starts once the running refresh has finished', async () => {
    const { cloud, r, running } = busy();
    running.endsAfterPolls = 3;

    const result = await roll(
      cloud.ctx(),
      options({ 'asg-names': 'web', 'ami-id': NEW, 'if-refresh-in-progress': 'wait' }),
    );

    expect(running.status).toBe('Successful');
    expect(result.groups[0]!.previousRefresh).toEqual({
      id: running.id,
      finalStatus: 'Successful',
      cancelled: false,
    });
    expect(r.refreshes.get('web')!.map((x) => x.status)).toEqual(['Pending', 'Successful']);
    expect(cloud.mutations.filter((m) => m.includes('Cancel'))).toEqual([]);
    expect(cloud.clock.sleeps.length).toBeGreaterThan(0);
  });

  it('wait: builds on the version the finished refresh left the group on, not the one it saw first', async () => {
    const { cloud, r, running } = busy();
    const lt = r.template('web');
    lt.versions.set(2, { InstanceType: 'm7i.large', ImageId: OLD });
    running.desired = { LaunchTemplate: { LaunchTemplateId: lt.id, Version: '2' } };
    running.endsAfterPolls = 2;

    const result = await roll(
      cloud.ctx(),
      options({ 'asg-names': 'web', 'ami-id': NEW, 'if-refresh-in-progress': 'wait' }),
    );

    expect(lt.versions.get(3)).toEqual({ InstanceType: 'm7i.large', ImageId: NEW });
    expect(result.refreshes[0]).toMatchObject({ newVersion: '3', previousVersion: '2' });
  });

  it('cancel: cancels it, waits until cancelled, then starts', async () => {
    const { cloud, r, running } = busy();

    const result = await roll(
      cloud.ctx(),
      options({ 'asg-names': 'web', 'ami-id': NEW, 'if-refresh-in-progress': 'cancel' }),
    );

    expect(running.status).toBe('Cancelled');
    expect(result.groups[0]!.previousRefresh).toEqual({
      id: running.id,
      finalStatus: 'Cancelled',
      cancelled: true,
    });
    expect(cloud.mutations).toEqual([
      'us-east-1: CancelInstanceRefresh web',
      'us-east-1: CreateLaunchTemplateVersion web 2',
      'us-east-1: StartInstanceRefresh web',
    ]);
    expect(r.refreshes.get('web')![0]!.status).toBe('Pending');
  });

  it('wait: gives up at timeout-minutes with the refresh named', async () => {
    const { cloud, running } = busy();

    const err = await failure(
      roll(
        cloud.ctx(),
        options({
          'asg-names': 'web',
          'ami-id': NEW,
          'if-refresh-in-progress': 'wait',
          'timeout-minutes': '1',
        }),
      ),
    );

    expect(err.message).toContain(`timed out while waiting for instance refresh ${running.id}`);
    expect(cloud.mutations).toEqual([]);
  });
});

describe('roll: faults while starting', () => {
  it('reports exactly which groups are rolling when one start fails, and removes the version made for it', async () => {
    const { cloud, r } = cloudWith();
    for (const name of ['a', 'b', 'c']) r.addGroup(name, { template: r.addTemplate(name, [OLD]) });
    r.faults.set('StartInstanceRefresh', (i) =>
      i.AutoScalingGroupName === 'b' ? awsError('AccessDenied', 403, 'not authorized') : undefined,
    );

    const err = await failure(
      roll(cloud.ctx(), options({ 'asg-names': 'a,b,c', 'ami-id': NEW, 'max-concurrency': '1' })),
    );

    expect(err).toBeInstanceOf(RollFailure);
    const result = (err as RollFailure).result;
    const a = r.refreshes.get('a')![0]!.id;
    expect(err.message).toBe(
      `Rolling 3 group(s) failed: failed for b (us-east-1): starting the instance refresh of b (us-east-1): not authorized (code AccessDenied, request id req-AccessDenied); still rolling (refreshes started): a (us-east-1) ${a}; not started: c (us-east-1).`,
    );
    expect(result.refreshes.map((x) => x.group)).toEqual(['a']);
    expect(r.template('b').versions.has(2)).toBe(false);
    expect(r.template('a').versions.get(2)?.ImageId).toBe(NEW);
    expect(r.template('c').versions.size).toBe(1);
  });

  it('adopts the refresh its own retried start made instead of failing on InstanceRefreshInProgress', async () => {
    const { cloud, r } = cloudWith();
    r.addGroup('web', { template: r.addTemplate('web', [OLD]) });
    // The first attempt succeeded at AWS but its answer was lost; the SDK's retry sees it running.
    r.faults.set('StartInstanceRefresh', (i) => {
      r.faults.delete('StartInstanceRefresh');
      r.addRefresh('web', {
        status: 'Pending',
        percentage: 0,
        startTime: new Date(cloud.clock.now()),
        desired: i.DesiredConfiguration as never,
      });
      return awsError('InstanceRefreshInProgress');
    });

    const result: RollResult = await roll(cloud.ctx(), options({ 'asg-names': 'web', 'ami-id': NEW }));

    expect(r.refreshes.get('web')).toHaveLength(1);
    expect(result.refreshes[0]!.refreshId).toBe(r.refreshes.get('web')![0]!.id);
  });

  it('turns a throttled template describe into one clear line and changes nothing', async () => {
    const { cloud, r } = cloudWith();
    r.addGroup('web', { template: r.addTemplate('web', [OLD]) });
    r.faults.set('DescribeLaunchTemplateVersions', () =>
      awsError('RequestLimitExceeded', 503, 'Request limit exceeded.'),
    );

    const err = await failure(roll(cloud.ctx(), options({ 'asg-names': 'web', 'ami-id': NEW })));

    expect(err.message).toBe(
      'describing launch template lt-00000000000000001 version 1 in us-east-1: Request limit exceeded. (code RequestLimitExceeded, request id req-RequestLimitExceeded)',
    );
    expect(cloud.mutations).toEqual([]);
  });
});
