// Groups as users have them, through dist/ against localcloud: a warm pool, a launch configuration,
// an instance maintenance policy, scale-in protected instances. Outcomes are read back from the
// cloud (DescribeWarmPool, the refresh AWS holds, images' states) and localcloud's mutation log.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  DescribeInstanceRefreshesCommand,
  DescribeScalingActivitiesCommand,
  DescribeWarmPoolCommand,
  EnterStandbyCommand,
  PutWarmPoolCommand,
  SetInstanceProtectionCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeImagesCommand, DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { localcloudEnv, runActionStep, type ActionRun } from '../harness/run-action.js';
import { seedGroup, seedTemplateVersion } from '../localcloud/aws/autoscaling-seed.js';
import { start, type Localcloud } from '../localcloud/index.js';
import { seedImage } from '../localcloud/seed.js';
import { describeGroup, inService as groupInService, until as poll } from '../localcloud/test-support.js';

jest.setTimeout(90_000);
const REGION = 'us-east-1';
const DAY = 86_400_000;
const credentials = { accessKeyId: 'AKIALOCALCLOUD000000', secretAccessKey: 'localcloud-secret' };

let lc: Localcloud;
let asg: AutoScalingClient;
let ec2: EC2Client;
let oldAmi: string;
let newAmi: string;

/** Bounded poll (30 s) of localcloud's timed state machines. */
const until = <T>(what: string, check: () => Promise<T | undefined>) => poll(what, check, 1200);

const group = (name: string) => describeGroup(asg, name);
const inService = (name: string, count: number) => groupInService(asg, name, count);

/** The images the warm pool's settled instances run (Warmed:Stopped), sorted. */
async function warmImages(name: string): Promise<string[]> {
  const pool = await asg.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: name }));
  const ids = (pool.Instances ?? [])
    .filter((i) => i.LifecycleState === 'Warmed:Stopped')
    .map((i) => i.InstanceId!);
  if (!ids.length) return [];
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
  return out.Reservations!.flatMap((r) => r.Instances!.map((i) => i.ImageId!)).sort();
}

/** The refresh roll-asg recorded for the group, as AWS describes it now. */
async function recordedRefresh(r: ActionRun, name: string) {
  const [record] = JSON.parse(r.outputs.refreshes!) as { refreshId: string }[];
  const out = await asg.send(
    new DescribeInstanceRefreshesCommand({
      AutoScalingGroupName: name,
      InstanceRefreshIds: [record!.refreshId],
    }),
  );
  return out.InstanceRefreshes![0]!;
}

const lastMutation = () => lc.logs.mutations.query().at(-1)?.seq ?? 0;
const mutationsSince = (seq: number) =>
  lc.logs.mutations.query({ since: seq }).map((m) => `${m.region} ${m.operation}`);

function roll(inputs: Record<string, string>): Promise<ActionRun> {
  return runActionStep('roll-asg', {
    inputs: { 'poll-interval': '0.2', 'max-poll-interval': '1', ...inputs },
    env: localcloudEnv(lc.url, REGION),
  });
}

beforeAll(async () => {
  lc = await start({ port: 0 });
  asg = new AutoScalingClient({ region: REGION, endpoint: lc.url, credentials });
  ec2 = new EC2Client({ region: REGION, endpoint: lc.url, credentials });
  oldAmi = seedImage(lc.world.region(REGION), { name: 'golden-web-1' }).imageId;
  newAmi = seedImage(lc.world.region(REGION), { name: 'golden-web-2' }).imageId;
});

afterAll(async () => {
  asg?.destroy();
  ec2?.destroy();
  await lc?.stop();
});

describe('warm pools', () => {
  it('a group at zero whose template has the AMI but whose warm pool runs the old one is not current; healthy only once the pool is replaced', async () => {
    const seeded = seedGroup(lc.world, REGION, {
      name: 'burst',
      imageId: oldAmi,
      desired: 0,
      max: 2,
      targetGroup: false,
    });
    await asg.send(new PutWarmPoolCommand({ AutoScalingGroupName: 'burst', MinSize: 2 }));
    await until('two stopped warm instances on the old AMI', async () =>
      (await warmImages('burst')).length === 2 ? true : undefined,
    );
    // Terraform moved the group to a version with the new AMI: AWS replaces no instance, warm or live.
    const v2 = seedTemplateVersion(lc.world, REGION, seeded.launchTemplateId, { imageId: newAmi });
    await asg.send(
      new UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: 'burst',
        LaunchTemplate: { LaunchTemplateId: seeded.launchTemplateId, Version: String(v2) },
      }),
    );
    expect(await warmImages('burst')).toEqual([oldAmi, oldAmi]);

    const r = await roll({ 'asg-names': 'burst', 'ami-id': newAmi, wait: 'true', timeout: '2m' });

    expect(r.exitCode).toBe(0);
    expect(r.log).toContain(`0/0 instances, 0/2 in the warm pool on ${newAmi}`);
    expect(r.log).not.toContain('already current');
    // The wait said what it was waiting on while the live pool (empty) was done.
    expect(r.log).toMatch(/burst: InProgress \d+% · 2 instances left · warm pool 0%, 2 left/);
    const refresh = await recordedRefresh(r, 'burst');
    expect(refresh.Status).toBe('Successful');
    expect(refresh.ProgressDetails?.WarmPoolProgress).toEqual({
      PercentageComplete: 100,
      InstancesToUpdate: 0,
    });
    expect(await warmImages('burst')).toEqual([newAmi, newAmi]);
  });
  it('deploy-ami on a consenting group with a warm pool: healthy, and the warm pool runs the AMI', async () => {
    seedGroup(lc.world, REGION, {
      name: 'web-warm',
      imageId: oldAmi,
      desired: 1,
      max: 3,
      targetGroup: false,
      tags: { Environment: 'warm' },
      consent: '/golden-ami/warm',
    });
    await asg.send(new PutWarmPoolCommand({ AutoScalingGroupName: 'web-warm', MaxGroupPreparedCapacity: 3 }));
    await inService('web-warm', 1);
    await until('two warm instances', async () =>
      (await warmImages('web-warm')).length === 2 ? true : undefined,
    );

    const r = await runActionStep('deploy-ami', {
      inputs: {
        'ami-id': newAmi,
        'parameter-name': '/golden-ami/warm',
        environment: 'warm',
        'poll-interval': '0.2',
        'max-poll-interval': '1',
      },
      env: localcloudEnv(lc.url, REGION),
    });

    expect(r.exitCode).toBe(0);
    expect(r.outputs.status).toBe('healthy');
    expect(await warmImages('web-warm')).toEqual([newAmi, newAmi]);
  });
});

describe('launch configurations', () => {
  it('deploy-ami refuses a launch-configuration group in the plan, with the migration path in the line, changing nothing', async () => {
    await asg.send(
      new CreateLaunchConfigurationCommand({
        LaunchConfigurationName: 'legacy-lc',
        ImageId: oldAmi,
        InstanceType: 't3.micro',
      }),
    );
    await asg.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: 'legacy-web',
        LaunchConfigurationName: 'legacy-lc',
        MinSize: 0,
        MaxSize: 1,
        DesiredCapacity: 1,
        Tags: [
          { Key: 'Environment', Value: 'legacy', PropagateAtLaunch: true },
          { Key: 'golden-ami:parameter', Value: '/golden-ami/legacy', PropagateAtLaunch: false },
        ],
      }),
    );
    await inService('legacy-web', 1);
    const since = lastMutation();

    const r = await runActionStep('deploy-ami', {
      inputs: { 'ami-id': newAmi, 'parameter-name': '/golden-ami/legacy', environment: 'legacy' },
      env: localcloudEnv(lc.url, REGION),
    });

    expect(r.exitCode).toBe(1);
    expect(r.outputs.status).toBe('refused');
    const line = r.errors.find((e) => e.includes('uses launch configuration legacy-lc'));
    expect(line).toContain('group us-east-1/legacy-web');
    expect(line).toContain(
      'update-auto-scaling-group --auto-scaling-group-name legacy-web --launch-template',
    );
    expect(mutationsSince(since)).toEqual([]);
  });

  it('retire-amis keeps the AMI a launch configuration names, though no instance or template uses it', async () => {
    const baked = Array.from({ length: 3 }, (_, i) => {
      const bakeId = `legacy-run${i}`;
      return seedImage(lc.world.region(REGION), {
        name: `legacy-${i}`,
        creationDate: lc.world.clock.now() - (90 - i) * DAY,
        tags: [
          { Key: 'golden-ami:name', Value: 'legacy' },
          { Key: 'golden-ami:bake-id', Value: bakeId },
        ],
      }).imageId;
    });
    // The oldest AMI only a launch configuration (and its group, at zero) names.
    await asg.send(
      new CreateLaunchConfigurationCommand({
        LaunchConfigurationName: 'legacy-oldest',
        ImageId: baked[0]!,
        InstanceType: 't3.micro',
      }),
    );
    await asg.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: 'legacy-batch',
        LaunchConfigurationName: 'legacy-oldest',
        MinSize: 0,
        MaxSize: 2,
        DesiredCapacity: 0,
      }),
    );

    const r = await runActionStep('retire-amis', {
      inputs: { names: 'legacy', regions: REGION, 'keep-count': '1', 'max-retire-percent': '100' },
      env: localcloudEnv(lc.url, REGION),
    });

    expect(r.exitCode).toBe(0);
    expect(r.log).toContain('launch configuration legacy-oldest (group legacy-batch)');
    const out = await ec2.send(new DescribeImagesCommand({ ImageIds: baked, IncludeDisabled: true }));
    const state = new Map(out.Images!.map((i) => [i.ImageId!, i.State]));
    expect(baked.map((id) => state.get(id))).toEqual(['available', 'disabled', 'available']);
  });
});

describe("the group's own settings", () => {
  it('an instance maintenance policy of 50/150 paces the refresh when no percentage input is given', async () => {
    seedGroup(lc.world, REGION, { name: 'policy', imageId: oldAmi, desired: 2, max: 4, targetGroup: false });
    await asg.send(
      new UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: 'policy',
        InstanceMaintenancePolicy: { MinHealthyPercentage: 50, MaxHealthyPercentage: 150 },
      }),
    );
    await inService('policy', 2);
    const since = lastMutation();

    const r = await roll({ 'asg-names': 'policy', 'ami-id': newAmi, wait: 'true', timeout: '2m' });

    expect(r.exitCode).toBe(0);
    const start = lc.logs.mutations
      .query({ since, operation: 'StartInstanceRefresh' })
      .map((m) => m.params as { Preferences?: Record<string, unknown> });
    expect(start).toHaveLength(1);
    expect(start[0]!.Preferences).not.toHaveProperty('MinHealthyPercentage');
    expect(start[0]!.Preferences).not.toHaveProperty('MaxHealthyPercentage');
    const refresh = await recordedRefresh(r, 'policy');
    expect(refresh.Preferences).toMatchObject({ MinHealthyPercentage: 50, MaxHealthyPercentage: 150 });
    // Above 100%, a new instance launches before an old one goes (at AWS's 90/100 it would not).
    const acts = await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'policy' }));
    // Newest first, as AWS lists them: reversed, a launch and a termination started in the same
    // millisecond keep the order they were made in (the sort is stable).
    const byRefresh = acts
      .Activities!.filter((a) => a.Cause?.includes(refresh.InstanceRefreshId!))
      .reverse()
      .sort((a, b) => a.StartTime!.getTime() - b.StartTime!.getTime());
    expect(byRefresh[0]!.Description).toMatch(/^Launching a new EC2 instance/);
  });

  it('the plan warns with the count when scale-in protected instances would make the refresh wait', async () => {
    seedGroup(lc.world, REGION, { name: 'guarded', imageId: oldAmi, desired: 3, targetGroup: false });
    await inService('guarded', 3);
    const ids = (await group('guarded')).Instances!.map((i) => i.InstanceId!).slice(0, 2);
    await asg.send(
      new SetInstanceProtectionCommand({
        AutoScalingGroupName: 'guarded',
        InstanceIds: ids,
        ProtectedFromScaleIn: true,
      }),
    );
    const since = lastMutation();

    const r = await roll({ 'asg-names': 'guarded', 'ami-id': newAmi, 'dry-run': 'true' });

    expect(r.exitCode).toBe(0);
    const warning = r.warnings.find((w) => w.includes('protected from scale in'));
    expect(warning).toContain('group us-east-1/guarded: 2 of 3 instances are protected from scale in');
    expect(warning).toContain('scale-in-protected-instances: Refresh');
    expect(mutationsSince(since)).toEqual([]);
    const quiet = await roll({
      'asg-names': 'guarded',
      'ami-id': newAmi,
      'dry-run': 'true',
      'scale-in-protected-instances': 'Refresh',
    });
    expect(quiet.warnings.filter((w) => w.includes('protected from scale in'))).toEqual([]);
  });

  it('the plan warns with the count when Standby instances would make the refresh wait', async () => {
    seedGroup(lc.world, REGION, { name: 'parked', imageId: oldAmi, desired: 2, targetGroup: false });
    await inService('parked', 2);
    const [id] = (await group('parked')).Instances!.map((i) => i.InstanceId!);
    await asg.send(
      new EnterStandbyCommand({
        AutoScalingGroupName: 'parked',
        InstanceIds: [id!],
        ShouldDecrementDesiredCapacity: true,
      }),
    );
    const since = lastMutation();

    const r = await roll({ 'asg-names': 'parked', 'ami-id': newAmi, 'dry-run': 'true' });

    expect(r.exitCode).toBe(0);
    const warning = r.warnings.find((w) => w.includes('in Standby'));
    expect(warning).toContain('group us-east-1/parked: 1 of 2 instances are in Standby');
    expect(warning).toContain('standby-instances: Terminate');
    expect(mutationsSince(since)).toEqual([]);
  });
});
