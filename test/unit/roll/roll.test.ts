// roll-asg against localcloud in-process: the outcomes asserted are localcloud's state (template
// versions, the group's configuration, its refreshes, its instances' images) and its call logs.
// What localcloud cannot produce stays in roll-fake.test.ts.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ActionFailure, ConfigurationError } from '../../../src/core/errors.js';
import { failure, options } from './run.js';
import { roll, RollFailure } from '../../../src/roll/roll.js';
import { AutoScalingClient, StartInstanceRefreshCommand } from '@aws-sdk/client-auto-scaling';
import { LabelParameterVersionCommand } from '@aws-sdk/client-ssm';
import { seedParameter } from '../../localcloud/aws/ssm-parameters.js';
import { REGION } from '../support/localcloud-context.js';
import { baseImageId } from '../../localcloud/seed.js';
import { clientConfig } from '../../localcloud/test-support.js';
import { NEW, NEW_NAME, OLD, OLD_NAME, startRollCloud, type RollCloud } from './cloud.js';

let cloud: RollCloud;
beforeAll(async () => {
  cloud = await startRollCloud();
});
afterAll(() => cloud.stop());
beforeEach(() => {
  cloud.reset();
  cloud.lc.faults.clear();
});

const started = (group: string) =>
  cloud.lc.logs.calls
    .query({ operation: 'StartInstanceRefresh' })
    .filter((c) => (c.params as { AutoScalingGroupName?: string }).AutoScalingGroupName === group)
    .map((c) => ({ status: c.status, requestId: c.requestId, params: c.params as Record<string, unknown> }));

describe('roll: literal-AMI launch template', () => {
  it('creates a version from the current one with only the image changed, refreshes to it and records the previous version', async () => {
    const g = cloud.group({ name: 'web', instanceType: 'm7i.large', desired: 3 });
    const lt = g.launchTemplateId;
    cloud.addVersion(lt, { UserData: 'IyEvYmluL3No' });
    cloud.asg('web')!.config = { LaunchTemplate: { LaunchTemplateId: lt, Version: '2' } };
    cloud.settle();
    expect(cloud.instanceImages('web')).toEqual([OLD, OLD, OLD]);

    const result = await roll(cloud.context(), options({ 'asg-names': 'web', 'ami-id': NEW }));

    expect(cloud.template(lt).versions.get(3)).toEqual({
      InstanceType: 'm7i.large',
      UserData: 'IyEvYmluL3No',
      ImageId: NEW,
    });
    expect(result.refreshes).toEqual([
      {
        region: REGION,
        group: 'web',
        refreshId: cloud.refreshes('web')[0]!.id,
        amiId: NEW,
        previousAmiId: OLD,
        imageSource: 'launch-template',
        launchTemplate: { id: lt, name: 'web-lt', version: '3' },
        newVersion: '3',
        previousVersion: '2',
      },
    ]);
    expect(started('web')).toHaveLength(1);
    expect(started('web')[0]!.params.Preferences).toEqual({ SkipMatching: true, AutoRollback: true });
    cloud.settle();
    expect(cloud.refreshes('web')[0]!.status).toBe('Successful');
    expect(cloud.asg('web')!.config.LaunchTemplate).toEqual({ LaunchTemplateId: lt, Version: '3' });
    expect(cloud.instanceImages('web')).toEqual([NEW, NEW, NEW]);
    expect(result.asgNames).toEqual(['web']);
  });

  it('puts a $Latest group back on $Latest when its refresh does not start', async () => {
    const lt = cloud.group({ name: 'api', version: '$Latest' }).launchTemplateId;
    cloud.addVersion(lt, {});
    cloud.settle();
    cloud.lc.faults.add({
      service: 'autoscaling',
      operation: 'StartInstanceRefresh',
      kind: 'error',
      code: 'AccessDenied',
      message: 'not authorized',
    });

    await failure(roll(cloud.context(), options({ 'asg-names': 'api', 'ami-id': NEW })));

    // Pinned to 2, then back: each UpdateAutoScalingGroup names the template by id alone (AWS takes
    // "the ID or the name of the launch template, but not both").
    const updates = cloud
      .calls()
      .filter((c) => c.operation === 'UpdateAutoScalingGroup')
      .map((c) => c.params.LaunchTemplate);
    expect(updates).toEqual([
      { LaunchTemplateId: lt, Version: '2' },
      { LaunchTemplateId: lt, Version: '$Latest' },
    ]);
    expect(cloud.asg('api')!.config.LaunchTemplate).toEqual({ LaunchTemplateId: lt, Version: '$Latest' });
  });

  it('pins a group that follows $Latest to the new number and records the number it ran before', async () => {
    const lt = cloud.group({ name: 'api', version: '$Latest' }).launchTemplateId;
    for (let i = 0; i < 3; i++) cloud.addVersion(lt, {});
    cloud.settle();

    const result = await roll(cloud.context(), options({ 'asg-names': 'api', 'ami-id': NEW }));

    expect(result.refreshes[0]).toMatchObject({ newVersion: '5', previousVersion: '4' });
    expect(result.groups[0]!.template).toMatchObject({
      requested: '$Latest',
      previousVersion: 4,
      version: 5,
      created: true,
    });
    // Pinned to the number it ran before the refresh started, so AWS can roll it back.
    const changes = cloud
      .calls()
      .filter((c) => /UpdateAutoScalingGroup|StartInstanceRefresh/.test(c.operation))
      .map((c) => [c.operation, c.params.LaunchTemplate]);
    expect(changes).toEqual([
      ['UpdateAutoScalingGroup', { LaunchTemplateId: lt, Version: '4' }],
      ['StartInstanceRefresh', undefined],
    ]);
    expect(cloud.asg('api')!.config.LaunchTemplate!.Version).toBe('4');
    cloud.settle();
    expect(cloud.asg('api')!.config.LaunchTemplate!.Version).toBe('5');
  });

  it('makes one new version for groups sharing a template version, and moves the default when asked', async () => {
    const lt = cloud.group({
      name: 'a',
      tags: { Environment: 'staging' },
      consent: '/golden-ami/web',
    }).launchTemplateId;
    cloud.group({ name: 'b', tags: { Environment: 'staging' }, consent: '/golden-ami/web' });
    cloud.asg('b')!.config = { LaunchTemplate: { LaunchTemplateId: lt, Version: '1' } };
    cloud.settle();

    const result = await roll(
      cloud.context(),
      options({ 'asg-tags': 'Environment=staging', 'ami-id': NEW, 'set-default-version': 'true' }),
    );

    expect([...cloud.template(lt).versions.keys()]).toEqual([1, 2]);
    expect(result.refreshes.map((x) => x.newVersion)).toEqual(['2', '2']);
    expect(cloud.template(lt).defaultVersion).toBe(2);
  });

  it('reports a group already on the AMI as already current, and refreshes it anyway without skip matching', async () => {
    const lt = cloud.group({ name: 'web', imageId: NEW }).launchTemplateId;
    cloud.settle();
    const before = cloud.lastMutation();

    const current = await roll(cloud.context(), options({ 'asg-names': 'web', 'ami-id': NEW }));
    expect(current.groups.map((g) => g.status)).toEqual(['already-current']);
    expect(current.refreshes).toEqual([]);
    expect(cloud.mutations({ since: before })).toEqual([]);

    const forced = await roll(
      cloud.context(),
      options({ 'asg-names': 'web', 'ami-id': NEW, 'skip-matching': 'false' }),
    );
    expect(forced.refreshes).toEqual([expect.objectContaining({ newVersion: '1', previousVersion: '1' })]);
    expect(cloud.template(lt).versions.size).toBe(1);
  });

  it('refreshes a group whose template has the AMI but whose instances do not, without a new version', async () => {
    const lt = cloud.group({ name: 'web' }).launchTemplateId;
    cloud.settle();
    // The template now says NEW; the instances still run OLD.
    cloud.lc.world.region(REGION).ec2.launchTemplates.get(lt)!.versions.get(1)!.data.ImageId = NEW;

    const result = await roll(cloud.context(), options({ 'asg-names': 'web', 'ami-id': NEW }));

    expect(result.groups[0]).toMatchObject({
      status: 'refresh-started',
      previousAmiId: OLD,
      template: { version: 1, created: false },
    });
    expect(cloud.template(lt).versions.size).toBe(1);
  });
});

describe('roll: SSM-resolved template', () => {
  function ssmGroup() {
    const region = cloud.lc.world.region(REGION);
    seedParameter(region, '/golden-ami/web', OLD, 'aws:ec2:image');
    const lt = cloud.group({
      name: 'web',
      imageParameter: '/golden-ami/web',
      version: '$Default',
    }).launchTemplateId;
    cloud.settle();
    seedParameter(region, '/golden-ami/web', NEW, 'aws:ec2:image');
    return { lt };
  }

  it('refreshes without a new version, warns that AWS cannot roll back, and turns skip matching off', async () => {
    const { lt } = ssmGroup();
    const ctx = cloud.context();

    const result = await roll(
      ctx,
      options({ 'asg-names': 'web', 'ami-parameter': '/golden-ami/web', 'auto-rollback': 'false' }),
    );

    expect(cloud.template(lt).versions.size).toBe(1);
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
    expect(started('web')).toHaveLength(1);
    expect(started('web')[0]!.params.DesiredConfiguration).toBeUndefined();
    expect(started('web')[0]!.params.Preferences).toMatchObject({ SkipMatching: false, AutoRollback: false });
    expect(
      ctx.log.lines.some((l) => l.startsWith('warning:') && l.includes('cannot roll this refresh back')),
    ).toBe(true);
    cloud.settle();
    expect(cloud.instanceImages('web')).toEqual([NEW, NEW]);
  });

  it('refuses auto-rollback for it before changing anything, naming the input', async () => {
    ssmGroup();
    const before = cloud.lastMutation();

    const err = await failure(roll(cloud.context(), options({ 'asg-names': 'web', 'ami-id': NEW })));

    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).toMatch(
      /auto-rollback: group us-east-1\/web.*resolve:ssm:\/golden-ami\/web.*auto-rollback: false/,
    );
    expect(cloud.mutations({ since: before })).toEqual([]);
  });

  it('refuses when the parameter does not hold the AMI being rolled', async () => {
    ssmGroup();
    seedParameter(cloud.lc.world.region(REGION), '/golden-ami/web', OLD, 'aws:ec2:image');
    const before = cloud.lastMutation();

    const err = await failure(
      roll(cloud.context(), options({ 'asg-names': 'web', 'ami-id': NEW, 'auto-rollback': 'false' })),
    );

    expect(err.message).toContain(`SSM parameter /golden-ami/web, which holds ${OLD}, not ${NEW}`);
    expect(cloud.mutations({ since: before })).toEqual([]);
  });
});

describe('roll: mixed instances policy', () => {
  it('versions the main and the override templates and keeps the rest of the policy', async () => {
    const main = cloud.group({ name: 'mixed', instanceType: 'm7i.large' });
    // A second template (versions 1 and 2), for the override; its group launches nothing.
    const second = cloud.group({
      name: 'second-seed',
      instanceType: 'm7i.large',
      desired: 0,
    }).launchTemplateId;
    cloud.addVersion(second, {});
    cloud.asg('mixed')!.config = {
      MixedInstancesPolicy: {
        LaunchTemplate: {
          LaunchTemplateSpecification: { LaunchTemplateName: main.launchTemplateName, Version: '$Default' },
          Overrides: [
            { InstanceType: 'm7i.large' },
            {
              InstanceType: 'm7i.xlarge',
              LaunchTemplateSpecification: { LaunchTemplateId: second, Version: '2' },
            },
          ],
        },
        InstancesDistribution: {
          OnDemandBaseCapacity: 1,
          SpotAllocationStrategy: 'price-capacity-optimized',
        },
      },
    } as never;
    cloud.settle();

    const result = await roll(cloud.context(), options({ 'asg-names': 'mixed', 'ami-id': NEW }));

    expect(cloud.template(main.launchTemplateId).versions.get(2)?.ImageId).toBe(NEW);
    expect(cloud.template(second).versions.get(3)?.ImageId).toBe(NEW);
    expect(result.refreshes[0]).toMatchObject({
      newVersion: '2',
      previousVersion: '1',
      launchTemplate: { id: main.launchTemplateId },
    });
    cloud.settle();
    expect(cloud.asg('mixed')!.config.MixedInstancesPolicy).toEqual({
      LaunchTemplate: {
        LaunchTemplateSpecification: { LaunchTemplateId: main.launchTemplateId, Version: '2' },
        Overrides: [
          { InstanceType: 'm7i.large' },
          {
            InstanceType: 'm7i.xlarge',
            LaunchTemplateSpecification: { LaunchTemplateId: second, Version: '3' },
          },
        ],
      },
      InstancesDistribution: { OnDemandBaseCapacity: 1, SpotAllocationStrategy: 'price-capacity-optimized' },
    });
    expect(cloud.instanceImages('mixed')).toEqual([NEW, NEW]);
  });
});

describe('roll: checks before any change', () => {
  it('fails on a launch-configuration group with how to migrate, leaving the other groups untouched', async () => {
    cloud.group({ name: 'legacy', tags: { Environment: 'prod' }, consent: '/golden-ami/web', desired: 0 });
    cloud.asg('legacy')!.config = { LaunchConfigurationName: 'legacy-lc' };
    cloud.group({ name: 'web', tags: { Environment: 'prod' }, consent: '/golden-ami/web' });
    cloud.settle();
    const before = cloud.lastMutation();

    const err = await failure(
      roll(cloud.context(), options({ 'asg-tags': 'Environment=prod', 'ami-id': NEW })),
    );

    expect(err).toBeInstanceOf(ActionFailure);
    expect(err.message).toMatch(
      /^Nothing was changed: group us-east-1\/legacy uses launch configuration legacy-lc.*update-auto-scaling-group --auto-scaling-group-name legacy --launch-template/,
    );
    expect(cloud.mutations({ since: before })).toEqual([]);
  });

  it('lists every region and filter searched when nothing matches', async () => {
    const err = await failure(
      roll(
        cloud.context(),
        options({ regions: 'us-east-1,eu-west-1', 'asg-tags': 'Environment=qa,Team=web', 'ami-id': NEW }),
      ),
    );

    expect(err.message).toBe(
      'No Auto Scaling group matched: searched us-east-1, eu-west-1 for tags Environment=qa, Team=web.',
    );
  });

  it('names a group given by name that exists nowhere', async () => {
    cloud.group({ name: 'web' });
    cloud.settle();
    const before = cloud.lastMutation();

    const err = await failure(roll(cloud.context(), options({ 'asg-names': 'web,wbe', 'ami-id': NEW })));

    expect(err.message).toContain('asg-names: no group named wbe in us-east-1');
    expect(cloud.mutations({ since: before })).toEqual([]);
  });

  it('fails when the AMI does not exist in a region, before any change', async () => {
    // NEW is a us-east-1 image id: eu-west-1 has its own ids for the same images.
    cloud.group({ name: 'web' });
    cloud.group({ name: 'web', imageId: baseImageId('eu-west-1', OLD_NAME) }, 'eu-west-1');
    cloud.settle();
    const before = cloud.lastMutation();

    const err = await failure(
      roll(cloud.context(), options({ regions: 'us-east-1,eu-west-1', 'asg-names': 'web', 'ami-id': NEW })),
    );

    expect(err.message).toBe(
      `ami-id: image ${NEW} does not exist in eu-west-1 (or is not visible to this account).`,
    );
    expect(cloud.mutations({ since: before })).toEqual([]);
  });

  it('reads ami-parameter in each region', async () => {
    const other = baseImageId('eu-west-1', NEW_NAME);
    for (const [region, ami, old] of [
      ['us-east-1', NEW, OLD],
      ['eu-west-1', other, baseImageId('eu-west-1', OLD_NAME)],
    ] as const) {
      seedParameter(cloud.lc.world.region(region), '/golden-ami/web', ami, 'aws:ec2:image');
      await cloud.clients.ssm(region).send(
        new LabelParameterVersionCommand({
          Name: '/golden-ami/web',
          ParameterVersion: 1,
          Labels: ['prod'],
        }),
      );
      cloud.group({ name: 'web', imageId: old }, region);
    }
    cloud.settle();

    const result = await roll(
      cloud.context(),
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
    cloud.group({ name: 'web' });
    cloud.group({ name: 'done', imageId: NEW });
    cloud.settle();
    const before = cloud.lastMutation();

    const result = await roll(
      cloud.context(),
      options({ 'asg-names': 'web,done', 'ami-id': NEW, 'dry-run': 'true' }),
    );

    expect(result.groups.map((g) => [g.group, g.status])).toEqual([
      ['done', 'already-current'],
      ['web', 'would-refresh'],
    ]);
    expect(result.refreshes).toEqual([]);
    expect(cloud.mutations({ since: before })).toEqual([]);
  });
});

describe('roll: a refresh already in progress', () => {
  /** web on OLD with a refresh of its own running (to `desired`, else to the same configuration). */
  async function busy(o: { checkpointDelay?: number; desired?: string } = {}) {
    const lt = cloud.group({ name: 'web', desired: 4 }).launchTemplateId;
    // Version 2: the same image on m7i.large, for a refresh that moves the group to it.
    cloud.addVersion(lt, { InstanceType: 'm7i.large' });
    cloud.settle();
    await cloud.clients.autoScaling().send(
      new StartInstanceRefreshCommand({
        AutoScalingGroupName: 'web',
        ...(o.desired
          ? { DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: lt, Version: o.desired } } }
          : {}),
        Preferences: {
          SkipMatching: false,
          ...(o.checkpointDelay
            ? { CheckpointPercentages: [50, 100], CheckpointDelay: o.checkpointDelay }
            : {}),
        },
      }),
    );
    cloud.clock.advance(1);
    const running = cloud.refreshes('web')[0]!;
    return { lt, running, before: cloud.lastMutation() };
  }

  const rollWeb = (inputs: Record<string, string>) =>
    roll(cloud.context(), options({ 'asg-names': 'web', 'ami-id': NEW, ...inputs }));

  it('fail: names the running refresh and changes nothing', async () => {
    const { running, before } = await busy();

    const err = await failure(roll(cloud.context(), options({ 'asg-names': 'web', 'ami-id': NEW })));

    // A conflict with what runs now, not an input mistake: never reported as "Invalid input".
    expect(err).not.toBeInstanceOf(ConfigurationError);
    expect(err.message).toMatch(/^Nothing was changed: /);
    expect(err.message).toContain(
      `group us-east-1/web already has instance refresh ${running.id} (${running.status}, ${running.progress.percentageComplete}% complete)`,
    );
    expect(cloud.mutations({ since: before })).toEqual([]);
  });

  it('wait: starts once the running refresh has finished', async () => {
    const { running, before } = await busy();

    const result = await rollWeb({ 'if-refresh-in-progress': 'wait' });

    expect(running.status).toBe('Successful');
    expect(result.groups[0]!.previousRefresh).toEqual({
      id: running.id,
      finalStatus: 'Successful',
      cancelled: false,
    });
    expect(cloud.refreshes('web').map((x) => x.status)).toEqual(['Pending', 'Successful']);
    expect(cloud.mutations({ since: before }).filter((m) => m.includes('Cancel'))).toEqual([]);
    expect(cloud.clock.sleeps.length).toBeGreaterThan(0);
  });

  it('wait: builds on the version the finished refresh left the group on, not the one it saw first', async () => {
    const { lt: web } = await busy({ desired: '2' });

    const result = await rollWeb({ 'if-refresh-in-progress': 'wait' });

    expect(cloud.template(web).versions.get(3)).toEqual({ InstanceType: 'm7i.large', ImageId: NEW });
    expect(result.refreshes[0]).toMatchObject({ newVersion: '3', previousVersion: '2' });
  });

  it('cancel: cancels it, waits until cancelled, then starts', async () => {
    const { running, before } = await busy();

    const result = await rollWeb({ 'if-refresh-in-progress': 'cancel' });

    expect(running.status).toBe('Cancelled');
    expect(result.groups[0]!.previousRefresh).toEqual({
      id: running.id,
      finalStatus: 'Cancelled',
      cancelled: true,
    });
    expect(cloud.mutations({ since: before })).toEqual([
      'CancelInstanceRefresh us-east-1',
      'CreateLaunchTemplateVersion us-east-1',
      'StartInstanceRefresh us-east-1',
    ]);
    expect(cloud.refreshes('web')[0]!.status).toBe('Pending');
  });

  it('wait: gives up at timeout with the refresh named', async () => {
    // Its checkpoint holds it for 2 days of AWS time: far past the roll's minute.
    const { running, before } = await busy({ checkpointDelay: 172_800 });

    const err = await failure(
      roll(
        cloud.context(),
        options({
          'asg-names': 'web',
          'ami-id': NEW,
          'if-refresh-in-progress': 'wait',
          timeout: '1m',
        }),
      ),
    );

    expect(err.message).toContain(`timed out while waiting for instance refresh ${running.id}`);
    expect(cloud.mutations({ since: before })).toEqual([]);
  });
});

describe('roll: many groups across regions', () => {
  it('rolls twenty tagged groups in two regions with at most max-concurrency starts in flight in each', async () => {
    for (const region of ['us-east-1', 'eu-west-1']) {
      const old = baseImageId(region, OLD_NAME);
      for (let i = 0; i < 10; i++)
        cloud.group(
          {
            name: `web-${i}`,
            imageId: old,
            desired: 1,
            tags: { Environment: 'staging', Role: 'web' },
            consent: '/golden-ami/web',
          },
          region,
        );
      cloud.group(
        { name: 'other', imageId: old, desired: 1, tags: { Environment: 'prod', Role: 'web' } },
        region,
      );
    }
    // ami-id names one image for every region: eu-west-1 holds a copy of NEW under the same id.
    const world = cloud.lc.world;
    world.region('eu-west-1').ec2.images.set(NEW, { ...world.region(REGION).ec2.images.get(NEW)! });
    cloud.settle();
    // Starts in flight, counted on the clients' side (per region and in all); each start answers
    // 5 ms late so they overlap.
    const inFlight = new Map<string, number>();
    const most = new Map<string, number>();
    const count = (key: string, by: number) => {
      inFlight.set(key, (inFlight.get(key) ?? 0) + by);
      most.set(key, Math.max(most.get(key) ?? 0, inFlight.get(key)!));
    };
    for (const region of ['us-east-1', 'eu-west-1'])
      cloud.clients.autoScaling(region).middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName !== 'StartInstanceRefreshCommand') return next(args);
          count(region, 1);
          count('all', 1);
          try {
            return await next(args);
          } finally {
            count(region, -1);
            count('all', -1);
          }
        },
        { step: 'initialize', name: 'countStarts' },
      );
    cloud.lc.faults.add({
      service: 'autoscaling',
      operation: 'StartInstanceRefresh',
      kind: 'latency',
      latencyMs: 5,
    });

    const result = await roll(
      cloud.context(),
      options({
        regions: 'us-east-1,eu-west-1',
        'asg-tags': 'Environment=staging\nRole=web',
        'ami-id': NEW,
        'max-concurrency': '3',
      }),
    ).finally(() => {
      for (const region of ['us-east-1', 'eu-west-1'])
        cloud.clients.autoScaling(region).middlewareStack.remove('countStarts');
    });

    expect(result.refreshes).toHaveLength(20);
    // Regions have API rate limits of their own: each goes at max-concurrency, in parallel.
    expect(most.get('us-east-1')).toBe(3);
    expect(most.get('eu-west-1')).toBe(3);
    expect(most.get('all')).toBeGreaterThan(3);
    cloud.settle();
    for (const region of ['us-east-1', 'eu-west-1']) {
      for (let i = 0; i < 10; i++) expect(cloud.instanceImages(`web-${i}`, region)).toEqual([NEW]);
      expect(cloud.refreshes('other', region)).toEqual([]);
    }
  });
});

describe('roll: faults while starting', () => {
  it('reports exactly which groups are rolling when one start fails, and removes the version made for it', async () => {
    const lts = Object.fromEntries(
      ['a', 'b', 'c'].map((n) => [n, cloud.group({ name: n }).launchTemplateId]),
    );
    cloud.settle();
    // One at a time, in name order: the second start (b's) is refused.
    cloud.lc.faults.add({
      service: 'autoscaling',
      operation: 'StartInstanceRefresh',
      kind: 'error',
      sequence: '.x',
      code: 'AccessDenied',
      message: 'not authorized',
    });

    const err = await failure(
      roll(cloud.context(), options({ 'asg-names': 'a,b,c', 'ami-id': NEW, 'max-concurrency': '1' })),
    );

    expect(err).toBeInstanceOf(RollFailure);
    const result = (err as RollFailure).result;
    const a = cloud.refreshes('a')[0]!.id;
    const refused = started('b')[0]!;
    expect(err.message).toBe(
      `Rolling 3 group(s) failed: failed for us-east-1/b: starting the instance refresh of us-east-1/b: not authorized (code AccessDenied, request id ${refused.requestId}); still rolling (refreshes started): us-east-1/a ${a}; not started: us-east-1/c.`,
    );
    expect(result.refreshes.map((x) => x.group)).toEqual(['a']);
    expect(cloud.template(lts.b!).versions.has(2)).toBe(false);
    expect(cloud.template(lts.a!).versions.get(2)?.ImageId).toBe(NEW);
    expect(cloud.template(lts.c!).versions.size).toBe(1);
  });

  it('adopts the refresh its own retried start made instead of failing on InstanceRefreshInProgress', async () => {
    cloud.group({ name: 'web' });
    cloud.settle();
    // The first attempt succeeds at AWS but its answer is lost; the SDK's retry sees it running.
    cloud.lc.faults.add({
      service: 'autoscaling',
      operation: 'StartInstanceRefresh',
      kind: 'error',
      after: true,
      count: 1,
    });

    // The action's clients retry as the SDK does by default (the unit clients make one attempt).
    const retrying = new AutoScalingClient({ ...clientConfig(cloud.lc, REGION), maxAttempts: 3 });
    const ctx = cloud.context();
    const result = await roll(
      { ...ctx, clients: { ...ctx.clients, autoScaling: () => retrying } },
      options({ 'asg-names': 'web', 'ami-id': NEW }),
    ).finally(() => retrying.destroy());

    expect(started('web').map((c) => c.status)).toEqual([500, 400]);
    expect(cloud.refreshes('web')).toHaveLength(1);
    expect(result.refreshes[0]!.refreshId).toBe(cloud.refreshes('web')[0]!.id);
  });

  it('turns a throttled template describe into one clear line and changes nothing', async () => {
    const lt = cloud.group({ name: 'web' }).launchTemplateId;
    cloud.settle();
    const before = cloud.lastMutation();
    cloud.lc.faults.add({
      service: 'ec2',
      operation: 'DescribeLaunchTemplateVersions',
      kind: 'error',
      status: 503,
      code: 'RequestLimitExceeded',
      message: 'Request limit exceeded.',
    });

    const err = await failure(roll(cloud.context(), options({ 'asg-names': 'web', 'ami-id': NEW })));

    const last = cloud.lc.logs.calls.query({ operation: 'DescribeLaunchTemplateVersions' }).at(-1)!;
    expect(err.message).toBe(
      `describing launch template ${lt} version 1 in us-east-1: Request limit exceeded. (code RequestLimitExceeded, request id ${last.requestId})`,
    );
    expect(cloud.mutations({ since: before })).toEqual([]);
  });
});
