// deploy-ami ended the ways runs really end, through its dist/ bundles (main and post step) against
// localcloud: cancelled mid-refresh, one group of two failing, our refresh cancelled by someone
// else, the put-back itself throttled. After each, every observable equals the snapshot taken
// before the run (or, for a success, the new state), and `status` says which.
import {
  AutoScalingClient,
  CancelInstanceRefreshCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, EC2Client, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { LabelParameterVersionCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { localcloudEnv, runActionStep, type ActionRun } from '../harness/run-action.js';
import { seedGroup } from '../localcloud/aws/autoscaling-seed.js';
import { start, type Localcloud } from '../localcloud/index.js';
import { config, groupAmis, parameterHistory, templateState } from '../workflow/fleet-state.js';

jest.setTimeout(240_000);

const REGION = 'us-east-1';
const HTTP_PORT = 18571;
const hour = 3_600_000;

/** Every observable of the groups and the parameter, as a user reads them. */
async function observe(lc: Localcloud, groups: string[], parameter: string) {
  const asg = new AutoScalingClient(config(lc));
  try {
    const out: Record<string, unknown> = { parameter: await parameterLabels(lc, parameter) };
    for (const g of groups) {
      const d = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [g] }));
      const group = d.AutoScalingGroups?.[0];
      out[g] = {
        source: { LaunchTemplate: group?.LaunchTemplate, MixedInstancesPolicy: group?.MixedInstancesPolicy },
        amis: await groupAmis(lc, g),
        template: await templateState(lc, g),
      };
    }
    return out;
  } finally {
    asg.destroy();
  }
}

/** The value each label and the unlabelled parameter name (version numbers may grow on a put-back). */
async function parameterLabels(lc: Localcloud, name: string): Promise<Record<string, string>> {
  const history = await parameterHistory(lc, name);
  const out: Record<string, string> = {};
  for (const h of history) {
    const [, value, labels] = /^\d+:(ami-\w+)(?:\[(.*)\])?$/.exec(h) ?? [];
    for (const l of labels?.split(',') ?? []) out[l] = value!;
    out.$newest = value!;
  }
  return out;
}

const story = (r: ActionRun) =>
  `${r.errors.join('\n')}\n${r.log.slice(-4000)}\n--- post\n${r.post?.log.slice(-3000) ?? ''}`;

function deployer(lc: Localcloud, parameter: string) {
  return (inputs: Record<string, string | boolean>, more: Parameters<typeof runActionStep>[1] = {}) =>
    runActionStep('deploy-ami', {
      ...more,
      inputs: {
        'parameter-name': parameter,
        'poll-interval': '0.3',
        'max-poll-interval': '1',
        'unhealthy-grace': '2',
        timeout: '3m',
        ...inputs,
      },
      env: localcloudEnv(lc.url, REGION),
    });
}

/** Runs `hand` every 100 ms while `run` is going: someone else's actions during our deployment. */
async function meanwhile<T>(run: Promise<T>, hand: () => Promise<boolean | void>): Promise<T> {
  let done = false;
  const loop = (async () => {
    while (!done) {
      if ((await hand().catch(() => false)) === true) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    return await run;
  } finally {
    done = true;
    await loop;
  }
}

describe('deploy-ami: every ending leaves the environment as before, or entirely new', () => {
  let lc: Localcloud;
  let base: string;
  let good: string;
  let bad: string;
  let newer: string;
  const PARAM = '/golden-ami/endings';

  beforeAll(async () => {
    lc = await start({ port: 0, seed: 71, instanceHttpPort: HTTP_PORT });
    const now = Date.now();
    [base, good, bad, newer] = lc.control
      .seed({
        images: [
          { name: 'end-base', creationDate: now - 3 * hour },
          { name: 'end-good', creationDate: now - 2 * hour },
          { name: 'end-bad', creationDate: now - hour, health: 'unhealthy' },
          { name: 'end-newer', creationDate: now - hour / 2 },
        ],
      })
      .images.map((i) => i.imageId) as [string, string, string, string];
    lc.control.seed({ parameters: [{ name: PARAM, value: base, dataType: 'aws:ec2:image' }] });
    const ssm = new SSMClient(config(lc));
    for (const label of ['cancel', 'duo', 'solo', 'flaky', 'stuck', 'overlap', 'dflt'])
      await ssm.send(new LabelParameterVersionCommand({ Name: PARAM, ParameterVersion: 1, Labels: [label] }));
    ssm.destroy();
    const group = (name: string, env: string, o: Partial<Parameters<typeof seedGroup>[2]> = {}) =>
      seedGroup(lc.world, REGION, {
        name,
        imageId: base,
        desired: 2,
        tags: { Environment: env },
        consent: PARAM,
        ...o,
      });
    group('cancel-web', 'cancel', { desired: 3, version: '$Latest' });
    group('duo-a', 'duo');
    group('duo-b', 'duo');
    group('solo-web', 'solo', { desired: 4 });
    group('flaky-web', 'flaky');
    group('flaky-ssm', 'flaky', { imageParameter: `${PARAM}:flaky` });
    group('stuck-web', 'stuck');
    group('stuck-ssm', 'stuck', { imageParameter: `${PARAM}:stuck` });
    group('overlap-web', 'overlap');
    group('dflt-web', 'dflt', { version: '$Default' });
    const asg = new AutoScalingClient(config(lc));
    // Every group InService on the base AMI before any test runs.
    for (let i = 0; i < 300; i++) {
      const d = await asg.send(new DescribeAutoScalingGroupsCommand({}));
      if (
        (d.AutoScalingGroups ?? []).every(
          (g) =>
            (g.Instances ?? []).filter((x) => x.LifecycleState === 'InService').length >= g.DesiredCapacity!,
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    asg.destroy();
  });
  afterAll(async () => {
    await lc.stop();
  });

  test('cancelled mid-refresh (SIGINT, SIGTERM, SIGKILL, then the post step): as before, and refreshes was written', async () => {
    const before = await observe(lc, ['cancel-web'], PARAM);
    const r = await deployer(lc, PARAM)(
      { 'ami-id': good, environment: 'cancel' },
      { cancel: { whenOutput: /started instance refresh/ } },
    );
    expect(r.exitCode === 0).toBe(false);
    const refreshes = JSON.parse(r.outputs.refreshes ?? '[]') as { group: string; refreshId: string }[];
    expect(refreshes.map((x) => x.group)).toEqual(['cancel-web']);
    expect(r.post?.exitCode).toBe(0);
    expect(story(r)).toMatch(/cancel-web/);
    expect(await observe(lc, ['cancel-web'], PARAM)).toEqual(before);
    // The group follows $Latest again, and $Latest launches the base AMI.
    expect((await templateState(lc, 'cancel-web')).groupVersion).toBe('$Latest');
  });

  test('killed outright (SIGKILL, no SIGINT): the post step alone puts everything back', async () => {
    const before = await observe(lc, ['cancel-web'], PARAM);
    const r = await deployer(lc, PARAM)(
      { 'ami-id': good, environment: 'cancel' },
      { cancel: { whenOutput: /started instance refresh/, firstSignal: 'SIGKILL' } },
    );
    expect(r.killedBy).toBe('SIGKILL');
    expect({ post: r.post?.exitCode, log: r.post?.log.slice(-2000) }).toMatchObject({ post: 0 });
    expect(r.post?.log).toMatch(/did not finish: putting back/);
    expect(await observe(lc, ['cancel-web'], PARAM)).toEqual(before);
  });

  test('one group of two failing: both end on the old AMI, status rolled-back', async () => {
    const before = await observe(lc, ['duo-a', 'duo-b'], PARAM);
    const asg = new AutoScalingClient(config(lc));
    const ec2 = new EC2Client(config(lc));
    // duo-a's new instances are stopped as they come up: its refresh fails; duo-b's succeeds.
    const sabotage = async () => {
      const d = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['duo-a'] }));
      const ids = (d.AutoScalingGroups?.[0]?.Instances ?? []).map((i) => i.InstanceId!);
      if (!ids.length) return;
      const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
      const fresh = (out.Reservations ?? [])
        .flatMap((x) => x.Instances ?? [])
        .filter((i) => i.ImageId === good && i.State?.Name === 'running')
        .map((i) => i.InstanceId!);
      if (fresh.length) await ec2.send(new StopInstancesCommand({ InstanceIds: fresh }));
    };
    try {
      const r = await meanwhile(deployer(lc, PARAM)({ 'ami-id': good, environment: 'duo' }), sabotage);
      expect(`${r.outputs.status}\n${story(r)}`).toMatch(/^rolled-back\n/);
      expect(r.errors[0]).toMatch(/duo-b: refreshed back/);
      // The read-only plan of a real run is no dry run.
      expect(r.log).not.toMatch(/Dry run/);
      expect(r.post?.log).toMatch(/main step put back everything/);
    } finally {
      asg.destroy();
      ec2.destroy();
    }
    expect(await observe(lc, ['duo-a', 'duo-b'], PARAM)).toEqual(before);
  });

  test('our refresh cancelled by someone else half way: the fleet goes back, no version is deleted under an instance', async () => {
    const before = await observe(lc, ['solo-web'], PARAM);
    const asg = new AutoScalingClient(config(lc));
    const cancelHalfWay = async () => {
      if (!(await groupAmis(lc, 'solo-web')).includes(good)) return false;
      const refreshes = await asg.send(
        new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: 'solo-web' }),
      );
      if (refreshes.InstanceRefreshes?.[0]?.Status !== 'InProgress') return false;
      await asg.send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: 'solo-web' }));
      return true;
    };
    try {
      const r = await meanwhile(deployer(lc, PARAM)({ 'ami-id': good, environment: 'solo' }), cancelHalfWay);
      expect(`${r.outputs.status}\n${story(r)}`).toMatch(/^rolled-back\n/);
      expect(r.errors[0]).toMatch(/Cancelled/);
      // The version is deleted only after the refresh back: no instance ran it any more.
      expect(r.errors[0]).toMatch(/solo-web: refreshed back .*; deleted launch template solo-web-lt/);
    } finally {
      asg.destroy();
    }
    expect(await observe(lc, ['solo-web'], PARAM)).toEqual(before);
    const deletes = lc.logs.mutations.query({ operation: 'DeleteLaunchTemplateVersions' });
    const lastReplace = lc.logs.mutations
      .query({ operation: 'StartInstanceRefresh' })
      .filter((m) => (m.params as { AutoScalingGroupName?: string }).AutoScalingGroupName === 'solo-web')
      .at(-1);
    expect(deletes.at(-1)!.seq).toBeGreaterThan(lastReplace!.seq);
  });

  test('the put-back throttled five times per call (label, template versions): put back anyway', async () => {
    const before = await observe(lc, ['flaky-web', 'flaky-ssm'], PARAM);
    // The first LabelParameterVersion is the run's own (label first: a group resolves it).
    const rules = [
      lc.faults.add({
        service: 'ssm',
        operation: 'LabelParameterVersion',
        kind: 'throttle',
        sequence: '.xxxxx',
      }),
      lc.faults.add({
        service: 'ec2',
        operation: 'DeleteLaunchTemplateVersions',
        kind: 'throttle',
        sequence: 'xxxxx',
      }),
    ];
    try {
      const r = await deployer(lc, PARAM)({ 'ami-id': bad, environment: 'flaky', 'auto-rollback': false });
      expect(`${r.outputs.status}\n${story(r)}`).toMatch(/^rolled-back\n/);
      expect(r.errors[0]).toMatch(/label flaky back on version 1/);
      expect(r.errors[0]).toMatch(/deleted launch template flaky-web-lt/);
      expect(r.errors[0]).not.toMatch(/NOT put back/);
    } finally {
      for (const rule of rules) lc.faults.remove(rule.id);
    }
    const faulted = lc.logs.calls.query({ operation: 'DeleteLaunchTemplateVersions' }).filter((c) => c.fault);
    expect(faulted).toHaveLength(5);
    expect(await observe(lc, ['flaky-web', 'flaky-ssm'], PARAM)).toEqual(before);
  });

  test('a put-back AWS keeps refusing: the line lists what remains and the command for each', async () => {
    const rules = [
      lc.faults.add({
        service: 'ssm',
        operation: 'LabelParameterVersion',
        kind: 'throttle',
        sequence: '.' + 'x'.repeat(500),
      }),
      lc.faults.add({
        service: 'ec2',
        operation: 'DeleteLaunchTemplateVersions',
        kind: 'error',
        status: 503,
      }),
    ];
    try {
      const r = await deployer(lc, PARAM)(
        { 'ami-id': bad, environment: 'stuck', 'auto-rollback': false, 'put-back-timeout': '1m' },
        { post: false },
      );
      expect(`${r.outputs.status}\n${story(r)}`).toMatch(/^failed\n/);
      const line = r.errors[0]!;
      expect(line).toMatch(
        /NOT put back: label stuck of \/golden-ami\/endings still names ami-\w+: .*\(finish with: aws ssm label-parameter-version --region us-east-1 --name \/golden-ami\/endings --parameter-version 1 --labels stuck\)/,
      );
      expect(line).toMatch(
        /launch template stuck-web-lt \(lt-\w+\) version 2 still holds ami-\w+: .*\(finish with: aws ec2 delete-launch-template-versions --region us-east-1 --launch-template-id lt-\w+ --versions 2\)/,
      );
      expect(r.summary).toMatch(/not put back/);
    } finally {
      for (const rule of rules) lc.faults.remove(rule.id);
    }
  });

  test('parameter-name without its leading slash: refused before any change, nothing changed', async () => {
    const before = lc.logs.mutations.query({}).length;
    const r = await deployer(lc, 'golden-ami/endings')({ 'ami-id': good, environment: 'solo' });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([expect.stringMatching(/parameter-name: .*a name with a path starts with \//)]);
    expect(lc.logs.mutations.query({}).length).toBe(before);
  });

  test('every group already current: the same proof runs (a wrong version fails it) before healthy', async () => {
    const r = await deployer(
      lc,
      PARAM,
    )({
      'ami-id': base,
      environment: 'cancel',
      'health-url': `http://{private-ip}:${HTTP_PORT}/version`,
      'expected-version': '9.9.9',
    });
    expect(`${r.outputs.status}\n${story(r)}`).toMatch(/^failed\n/);
    expect(r.errors[0]).toMatch(/cancel-web: failed: .*not 9\.9\.9/);
    expect(r.outputs.refreshes).toBe('[]');
    const ok = await deployer(lc, PARAM)({ 'ami-id': base, environment: 'cancel' });
    expect(`${ok.outputs.status}\n${story(ok)}`).toMatch(/^healthy\n/);
  });

  test('roll-asg with wait: true, cancelled mid-refresh: refreshes was written and its post step puts the group back', async () => {
    const before = await observe(lc, ['cancel-web'], PARAM);
    const r = await runActionStep('roll-asg', {
      inputs: { 'asg-names': 'cancel-web', 'ami-id': good, wait: true, 'poll-interval': '0.3' },
      env: localcloudEnv(lc.url, REGION),
      cancel: { whenOutput: /started instance refresh/ },
    });
    expect(r.exitCode === 0).toBe(false);
    expect((JSON.parse(r.outputs.refreshes ?? '[]') as unknown[]).length).toBe(1);
    expect({ post: r.post?.exitCode, log: r.post?.log.slice(-1500) }).toMatchObject({ post: 0 });
    expect(r.post?.log).toMatch(/did not finish: putting back/);
    expect(await observe(lc, ['cancel-web'], PARAM)).toEqual(before);
    // Not cancelled: the post step leaves the refreshes it started to the workflow.
    const done = await runActionStep('roll-asg', {
      inputs: { 'asg-names': 'cancel-web', 'ami-id': good },
      env: localcloudEnv(lc.url, REGION),
    });
    expect(done.exitCode).toBe(0);
    expect(done.post?.log).toMatch(/ended by itself/);
  });

  test("an earlier run's put-back never undoes a later run: the later deployment stands, the earlier one says so", async () => {
    const asg = new AutoScalingClient(config(lc));
    const successful = async () => {
      const out = await asg.send(
        new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: 'overlap-web' }),
      );
      return out.InstanceRefreshes?.[0]?.Status === 'Successful';
    };
    try {
      // A: its refresh ends Successful, then its health-url check fails after the grace period.
      const a = deployer(
        lc,
        PARAM,
      )({
        'ami-id': good,
        environment: 'overlap',
        'health-url': `http://{private-ip}:${HTTP_PORT}/version`,
        'expected-version': '9.9.9',
        'unhealthy-grace': '8',
      });
      for (let i = 0; i < 300 && !(await successful()); i++) await new Promise((r) => setTimeout(r, 100));
      // B: a newer AMI, deployed while A still checks.
      const b = await deployer(lc, PARAM)({ 'ami-id': newer, environment: 'overlap' });
      expect(`${b.outputs.status}\n${story(b)}`).toMatch(/^healthy\n/);
      const first = await a;
      expect(`${first.outputs.status}\n${story(first)}`).toMatch(/^failed\n/);
      expect(first.errors[0]).toMatch(/overlap-web: refreshed by someone else after this run/);
    } finally {
      asg.destroy();
    }
    const after = (await observe(lc, ['overlap-web'], PARAM)) as Record<
      string,
      { amis: string[]; template: { groupVersion?: string; versions: Record<string, string> } }
    > & { parameter: Record<string, string> };
    expect(after['overlap-web']!.amis).toEqual([newer]);
    expect(after['overlap-web']!.template.versions[after['overlap-web']!.template.groupVersion!]).toBe(newer);
    expect(after.parameter.overlap).toBe(newer);
  });

  test('a group following $Default without set-default-version: refused in the plan, nothing changed', async () => {
    const before = lc.logs.mutations.query({}).length;
    const r = await deployer(lc, PARAM)({ 'ami-id': good, environment: 'dflt' });
    expect(r.outputs.status).toBe('refused');
    expect(r.errors[0]).toMatch(/us-east-1\/dflt-web follows \$Default .*Set set-default-version: true/);
    expect(lc.logs.mutations.query({}).length).toBe(before);
    const moved = await deployer(
      lc,
      PARAM,
    )({ 'ami-id': good, environment: 'dflt', 'set-default-version': true });
    expect(`${moved.outputs.status}\n${story(moved)}`).toMatch(/^healthy\n/);
    expect(await templateState(lc, 'dflt-web')).toMatchObject({ groupVersion: '$Default', default: 2 });
    expect(await groupAmis(lc, 'dflt-web')).toEqual([good]);
  });

  test('invalid inputs: status refused, nothing changed', async () => {
    const before = lc.logs.mutations.query({}).length;
    const r = await deployer(
      lc,
      PARAM,
    )({ 'ami-id': good, environment: 'solo', 'checkpoint-percentages': '20,50' });
    expect(r.exitCode).toBe(1);
    expect(r.outputs.status).toBe('refused');
    expect(r.errors[0]).toMatch(/checkpoint-percentages/);
    expect(lc.logs.mutations.query({}).length).toBe(before);
  });
});
