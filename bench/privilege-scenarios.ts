// The scenarios the least-privilege section runs per action: together they reach every path the
// action's iam-policy.json grants (bake: user data with an instance profile, copy and share; SSM
// provision scripts; a failed image cleaned up; the Packer engine — roll: SSM-resolved AMI with an
// instance-role template and default version; cancel an in-progress refresh; clean up after a failed
// start — wait-healthy: healthy; rolled back; cancelled where rollback is impossible — ...).
// `setup` runs as an administrator (no policy yet); `run` runs the action under the policy and says
// why the scenario failed, or undefined when it passed.
import { StartInstanceRefreshCommand } from '@aws-sdk/client-auto-scaling';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { seedGroup, seedTemplateVersion } from '../test/localcloud/aws/autoscaling-seed.js';
import { seedParameter } from '../test/localcloud/aws/ssm-parameters.js';
import type { StartOptions } from '../test/localcloud/index.js';
import { seedImage } from '../test/localcloud/seed.js';
import type { ActionRun } from '../test/harness/run-action.js';
import { AL2023_PARAMETER, type BenchCloud } from './cloud.js';
import { groupsReady, lastRefresh } from './fleet.js';
import { RETIRE } from './privilege-retire.js';
import { firstError, runStep } from './steps.js';

export interface ScenarioEnv {
  cloud: BenchCloud;
  /** Workspace holding a copy of image/. */
  dir: string;
  /** Turns the policy under test on (after setup) and off (before checks). */
  enforce(on: boolean): void;
}

export interface Scenario {
  name: string;
  /** localcloud options beyond the account (e.g. instances serving /version). */
  start?: Partial<StartOptions>;
  /** Left out of `--quick` (it runs Packer). */
  slow?: boolean;
  run(env: ScenarioEnv): Promise<string | undefined>;
}

const REGION = 'us-east-1';
const WEST = 'eu-west-1';

async function step(
  env: ScenarioEnv,
  label: string,
  action: string,
  inputs: Record<string, string>,
  extraEnv = {},
  timeoutMs = 120_000,
): Promise<ActionRun> {
  env.enforce(true);
  try {
    return await runStep(`least privilege: ${label}`, action, {
      env: { ...env.cloud.env(REGION), ...extraEnv },
      inputs,
      workdir: env.dir,
      timeoutMs,
    });
  } finally {
    env.enforce(false);
  }
}

const failed = (r: ActionRun, expect = 0) =>
  r.exitCode === expect
    ? undefined
    : `exit ${r.exitCode}${firstError(r) ? `: ${firstError(r).slice(0, 300)}` : ''}`;

/** Builders alive or images pending anywhere: a bake must leave neither. */
function leftovers(cloud: BenchCloud): string | undefined {
  const left: string[] = [];
  for (const name of [REGION, WEST]) {
    const r = cloud.lc.world.region(name).ec2;
    for (const i of r.instances.values())
      if (
        !['terminated', 'shutting-down'].includes(i.state) &&
        !i.tags.some((t) => t.Key === 'aws:autoscaling:groupName')
      )
        left.push(`${i.instanceId} ${i.state}`);
    for (const i of r.images.values()) if (i.state === 'pending') left.push(`${i.imageId} pending`);
  }
  return left.length ? `left ${left.join(', ')}` : undefined;
}

const bakeInputs = {
  name: 'web',
  'source-ami': `resolve:ssm:${AL2023_PARAMETER}`,
  'poll-interval': '0.05',
};

export const BAKE: Scenario[] = [
  {
    name: 'user data, own subnet and security group, instance profile, copied and shared',
    async run(env) {
      const ec2 = env.cloud.lc.world.region(REGION).ec2;
      const subnet = [...ec2.subnets.values()].find((x) => x.defaultForAz)!;
      const group = [...ec2.securityGroups.values()].find((g) => g.groupName === 'default')!;
      const r = await step(env, 'bake user data', 'bake-ami', {
        ...bakeInputs,
        'subnet-id': subnet.subnetId,
        'security-group-ids': group.groupId,
        'user-data-file': 'image/linux/user-data.sh',
        'iam-instance-profile': 'golden-ami-builder',
        'copy-to-regions': WEST,
        'share-with-accounts': '111122223333',
        // Exercises ModifySnapshotAttribute/DescribeSnapshotAttribute of the policy.
        'share-snapshots': 'true',
        tags: 'team=web',
      });
      return failed(r) ?? leftovers(env.cloud);
    },
  },
  {
    name: 'provision scripts over SSM Run Command',
    async run(env) {
      const r = await step(env, 'bake provision scripts', 'bake-ami', {
        ...bakeInputs,
        'provision-scripts': 'image/linux/provision/01-base.sh',
        'iam-instance-profile': 'golden-ami-builder',
      });
      return failed(r) ?? leftovers(env.cloud);
    },
  },
  {
    name: 'an image that fails is removed with its snapshots',
    async run(env) {
      const before = new Set(env.cloud.lc.world.region(REGION).ec2.snapshots.keys());
      const r = await step(env, 'bake image failure', 'bake-ami', {
        ...bakeInputs,
        'user-data': '#!/bin/bash\n# localcloud: image-fail simulated disk error\nshutdown -h now',
      });
      const ec2 = env.cloud.lc.world.region(REGION).ec2;
      const images = [...ec2.images.values()].filter((i) => i.name.startsWith('web-'));
      const snapshots = [...ec2.snapshots.keys()].filter((s) => !before.has(s));
      if (r.exitCode !== 1) return `expected the bake to fail, got exit ${r.exitCode}`;
      if (images.length || snapshots.length)
        return `left ${[...images.map((i) => `${i.imageId} ${i.state}`), ...snapshots].join(', ')}`;
      return leftovers(env.cloud);
    },
  },
  {
    name: 'engine: packer',
    slow: true,
    async run(env) {
      const r = await step(
        env,
        'bake packer',
        'bake-ami',
        {
          name: 'web',
          'poll-interval': '0.05',
          'source-ami-filter': 'al2023-ami-*-kernel-6.1-x86_64',
          engine: 'packer',
          'packer-template': 'image/packer/golden-linux.json',
          'packer-vars': `custom_endpoint_ec2=${env.cloud.url}`,
        },
        {
          CHECKPOINT_DISABLE: '1',
          PACKER_CACHE_DIR: `${env.dir}/_packer`,
          AWS_POLL_DELAY_SECONDS: '1',
          AWS_MAX_ATTEMPTS: '30',
        },
        // A Packer bake takes seconds here; one refused mid-way may wait on its own retries.
        60_000,
      );
      return failed(r) ?? leftovers(env.cloud);
    },
  },
];

export const PROMOTE: Scenario[] = [
  {
    name: 'create the parameter, then write a newer AMI over it with tags and a label',
    async run(env) {
      const region = env.cloud.lc.world.region(REGION);
      const older = seedImage(region, { name: 'web-1' });
      older.creationDate -= 60_000;
      const newer = seedImage(region, { name: 'web-2' });
      const inputs = { 'parameter-name': '/golden-ami/web', label: 'staging', 'poll-interval': '100ms' };
      const first = await step(env, 'promote create', 'promote-ami-parameter', {
        ...inputs,
        'ami-id': older.imageId,
      });
      if (failed(first)) return `first promotion: ${failed(first)}`;
      const second = await step(env, 'promote update', 'promote-ami-parameter', {
        ...inputs,
        'ami-id': newer.imageId,
        tags: 'team=web',
      });
      if (failed(second)) return `second promotion: ${failed(second)}`;
      const now = await env.cloud
        .ssm(REGION)
        .send(new GetParameterCommand({ Name: '/golden-ami/web:staging' }));
      return now.Parameter?.Value === newer.imageId ? undefined : `the label is on ${now.Parameter?.Value}`;
    },
  },
];

/** A group of one instance on a fresh AMI, and a newer AMI to roll onto. */
function rollGroup(
  env: ScenarioEnv,
  name: string,
  opts: { role?: boolean; version?: string; unhealthy?: boolean; desired?: number } = {},
) {
  const world = env.cloud.lc.world;
  const region = world.region(REGION);
  const oldAmi = seedImage(region, { name: `${name}-1`, version: '1' }).imageId;
  const newAmi = seedImage(region, {
    name: `${name}-2`,
    version: '2',
    ...(opts.unhealthy ? { health: 'unhealthy' as const } : {}),
  }).imageId;
  const g = seedGroup(world, REGION, {
    name,
    imageId: oldAmi,
    desired: opts.desired ?? 1,
    ...(opts.version ? { version: opts.version } : {}),
    // The group and its template consent: the policies act only on those that carry the tag.
    consent: '/golden-ami/web',
  });
  if (opts.role) {
    // Launch with an instance role and tags, as real templates do: Auto Scaling then checks that the
    // caller may pass the role and tag what it launches.
    const data = region.ec2.launchTemplates.get(g.launchTemplateId)!.versions.get(1)!.data;
    data.IamInstanceProfile = { Name: `golden-ami-instance-${name}` };
    data.TagSpecifications = [{ ResourceType: 'instance', Tags: [{ Key: 'team', Value: 'web' }] }];
  }
  return { ...g, oldAmi, newAmi };
}

async function inService(env: ScenarioEnv, name: string, desired = 1): Promise<void> {
  const end = Date.now() + 30_000;
  while (!groupsReady(env.cloud, REGION, [name], desired)) {
    if (Date.now() > end) throw new Error(`${name} never came into service`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const ROLL: Scenario[] = [
  {
    name: 'AMI from an SSM parameter onto a template with an instance role, new default version',
    async run(env) {
      const g = rollGroup(env, 'web', { role: true });
      seedParameter(env.cloud.lc.world.region(REGION), '/golden-ami/web', g.newAmi, 'aws:ec2:image');
      await inService(env, 'web');
      const r = await step(env, 'roll', 'roll-asg', {
        'asg-names': 'web',
        'ami-parameter': '/golden-ami/web',
        'set-default-version': 'true',
      });
      const template = env.cloud.lc.world.region(REGION).ec2.launchTemplates.get(g.launchTemplateId)!;
      return (
        failed(r) ??
        (template.defaultVersion === 2 && lastRefresh(env.cloud, REGION, 'web')
          ? undefined
          : 'no new default version or no refresh')
      );
    },
  },
  {
    name: 'cancel a refresh in progress, then start',
    async run(env) {
      const g = rollGroup(env, 'busy', { desired: 2 });
      await inService(env, 'busy', 2);
      const v = seedTemplateVersion(env.cloud.lc.world, REGION, g.launchTemplateId, { imageId: g.oldAmi });
      await env.cloud.asg(REGION).send(
        new StartInstanceRefreshCommand({
          AutoScalingGroupName: 'busy',
          DesiredConfiguration: {
            LaunchTemplate: { LaunchTemplateId: g.launchTemplateId, Version: String(v) },
          },
          // Replaces one of two instances, then holds at the checkpoint: active for minutes, yet with
          // nothing in flight, so a cancel settles at once.
          Preferences: {
            InstanceWarmup: 0,
            SkipMatching: false,
            CheckpointPercentages: [50, 100],
            CheckpointDelay: 3600,
          },
        }),
      );
      const first = lastRefresh(env.cloud, REGION, 'busy')!.id;
      const r = await step(env, 'roll cancel', 'roll-asg', {
        'asg-names': 'busy',
        'ami-id': g.newAmi,
        'if-refresh-in-progress': 'cancel',
        'poll-interval': '0.2',
        'max-poll-interval': '1',
      });
      return (
        failed(r) ?? (lastRefresh(env.cloud, REGION, 'busy')!.id !== first ? undefined : 'no new refresh')
      );
    },
  },
  {
    name: 'a refresh that cannot start leaves no template version behind',
    async run(env) {
      const g = rollGroup(env, 'stuck');
      await inService(env, 'stuck');
      env.cloud.lc.faults.add({
        service: 'autoscaling',
        operation: 'StartInstanceRefresh',
        kind: 'error',
        status: 500,
      });
      const r = await step(env, 'roll start failure', 'roll-asg', {
        'asg-names': 'stuck',
        'ami-id': g.newAmi,
      });
      env.cloud.lc.faults.clear();
      const versions = env.cloud.lc.world.region(REGION).ec2.launchTemplates.get(g.launchTemplateId)!.versions
        .size;
      if (r.exitCode !== 1) return `expected the roll to fail, got exit ${r.exitCode}`;
      return versions === 1 ? undefined : `${versions - 1} new template version(s) left behind`;
    },
  },
];

/** Instances serve /version on this port (distinct from the e2e tests' so both can run at once). */
const VERSION_PORT = 18_571;

/**
 * Starts a refresh as roll-asg would (numbered version, or `$Latest`) and returns its `refreshes`
 * record. A stale AMI serves the old version: only wait-healthy's version check can catch it, and
 * the bake time keeps the refresh active (so still reversible) while it does.
 */
async function startRefresh(env: ScenarioEnv, name: string, opts: { version?: string; stale?: boolean }) {
  const world = env.cloud.lc.world;
  const region = world.region(REGION);
  const oldAmi = seedImage(region, { name: `${name}-1`, version: '1.0.0' }).imageId;
  const newAmi = seedImage(region, {
    name: `${name}-2`,
    version: opts.stale ? '1.0.0-stale' : '2.0.0',
  }).imageId;
  const g = seedGroup(world, REGION, {
    name,
    imageId: oldAmi,
    desired: 1,
    ...(opts.version ? { version: opts.version } : {}),
    consent: '/golden-ami/web',
  });
  await inService(env, name);
  const v = seedTemplateVersion(world, REGION, g.launchTemplateId, { imageId: newAmi });
  const out = await env.cloud.asg(REGION).send(
    new StartInstanceRefreshCommand({
      AutoScalingGroupName: name,
      DesiredConfiguration: {
        LaunchTemplate: { LaunchTemplateId: g.launchTemplateId, Version: opts.version ?? String(v) },
      },
      Preferences: { MinHealthyPercentage: 0, InstanceWarmup: 0, SkipMatching: false, BakeTime: 3000 },
    }),
  );
  return JSON.stringify([
    {
      region: REGION,
      group: name,
      refreshId: out.InstanceRefreshId,
      amiId: newAmi,
      newVersion: String(v),
      previousVersion: '1',
    },
  ]);
}

const watch = {
  'health-url': `http://{private-ip}:${VERSION_PORT}/version`,
  'expected-version': '2.0.0',
  'unhealthy-grace': '0',
  'poll-interval': '0.2',
  'max-poll-interval': '1',
  'max-requests-per-second': '20',
};
const outcome = (r: ActionRun) =>
  (JSON.parse(r.outputs.results ?? '[]') as Array<{ status?: string; action?: string }>)[0];
const served = { instanceHttpPort: VERSION_PORT };

export const WAIT: Scenario[] = [
  {
    name: 'a healthy rollout (bake time cut short by nothing: it waits it out)',
    start: { ...served, durations: { apiSecond: 1 } },
    async run(env) {
      const refreshes = await startRefresh(env, 'web', {});
      const r = await step(env, 'wait healthy', 'wait-healthy', { refreshes, ...watch });
      return failed(r) ?? (r.outputs.status === 'healthy' ? undefined : `status ${r.outputs.status}`);
    },
  },
  {
    name: "watched by group name: the expected AMI read from the refresh's template version",
    start: { ...served, durations: { apiSecond: 1 } },
    async run(env) {
      await startRefresh(env, 'named', {});
      const r = await step(env, 'wait by name', 'wait-healthy', { 'asg-names': 'named', ...watch });
      return failed(r) ?? (r.outputs.status === 'healthy' ? undefined : `status ${r.outputs.status}`);
    },
  },
  {
    name: 'stale code on the new AMI: rolled back while baking',
    start: served,
    async run(env) {
      const refreshes = await startRefresh(env, 'stale', { stale: true });
      const r = await step(env, 'wait rollback', 'wait-healthy', { refreshes, ...watch });
      const o = outcome(r);
      return r.exitCode === 1 && o?.status === 'rolled-back'
        ? undefined
        : `exit ${r.exitCode}, ${o?.status}/${o?.action}: ${firstError(r).slice(0, 200)}`;
    },
  },
  {
    name: 'rollback impossible ($Latest): the refresh is cancelled',
    start: served,
    async run(env) {
      const refreshes = await startRefresh(env, 'latest', { version: '$Latest', stale: true });
      const r = await step(env, 'wait cancel', 'wait-healthy', { refreshes, ...watch });
      const o = outcome(r);
      return r.exitCode === 1 && o?.action === 'cancelled'
        ? undefined
        : `exit ${r.exitCode}, ${o?.status}/${o?.action}: ${firstError(r).slice(0, 200)}`;
    },
  },
];

export const REAP: Scenario[] = [
  {
    name: 'reap terminated and unknown instances, keep running ones',
    async run(env) {
      const ec2 = env.cloud.ec2(REGION);
      const image = await env.cloud.ssm(REGION).send(new GetParameterCommand({ Name: AL2023_PARAMETER }));
      const out = await ec2.send(
        new RunInstancesCommand({ ImageId: image.Parameter!.Value!, MinCount: 6, MaxCount: 6 }),
      );
      const ids = out.Instances!.map((i) => i.InstanceId!);
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids.slice(0, 2) }));
      env.cloud.lc.octopus.addMachines(
        [...ids, 'i-0000000000000dead'].map((name) => ({ name, environments: ['Production'] })),
      );
      const r = await step(env, 'reap', 'reap-octopus-orphans', { environments: 'Production' });
      return (
        failed(r) ?? (r.outputs['reaped-count'] === '3' ? undefined : `reaped ${r.outputs['reaped-count']}`)
      );
    },
  },
];

export const SCENARIOS: Record<string, Scenario[]> = {
  'bake-ami': BAKE,
  'promote-ami-parameter': PROMOTE,
  'roll-asg': ROLL,
  'wait-healthy': WAIT,
  'reap-octopus-orphans': REAP,
  'retire-amis': RETIRE,
};
