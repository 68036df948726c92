// deploy-ami as a transaction, through its dist/ bundle against localcloud fleets: a deployment
// either lands proven healthy or leaves the environment as it was. Every case checks what is left
// behind: the parameter's versions and labels, the launch template versions, the instances' AMIs.
import {
  AutoScalingClient,
  CancelInstanceRefreshCommand,
  StartInstanceRefreshCommand,
} from '@aws-sdk/client-auto-scaling';
import { LabelParameterVersionCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { localcloudEnv, runActionStep, type ActionRun } from '../harness/run-action.js';
import { seedGroup } from '../localcloud/aws/autoscaling-seed.js';
import { start, type Localcloud } from '../localcloud/index.js';
import { DEFAULT_API_KEY } from '../localcloud/octopus/auth.js';
import { REGION, seedFleet, type Fleet } from '../workflow/fleet.js';
import { groupAmis, parameterHistory, parameterValue, templateState } from '../workflow/fleet-state.js';

jest.setTimeout(180_000);

const PARAM = '/golden-ami/web';
const hour = 3_600_000;
const credentials = {
  accessKeyId: 'AKIALOCALCLOUD000000',
  secretAccessKey: 'localcloud-secret-key-do-not-use-000000',
};

function deployer(lc: Localcloud, extraEnv: Record<string, string> = {}) {
  return (inputs: Record<string, string | boolean>) =>
    runActionStep('deploy-ami', {
      inputs: {
        'parameter-name': PARAM,
        'poll-interval': '0.3',
        'max-poll-interval': '1',
        ...inputs,
      },
      env: { ...localcloudEnv(lc.url, REGION), ...extraEnv },
    });
}

/** The runner does not nest groups: every ::group:: is closed before the next opens. */
function groupsNest(run: ActionRun): boolean {
  let open = false;
  for (const line of run.stdout.split('\n')) {
    if (line.startsWith('::group::')) {
      if (open) return true;
      open = true;
    } else if (line.startsWith('::endgroup::')) open = false;
  }
  return false;
}

const story = (r: ActionRun) => `${r.errors.join('\n')}\n${r.log.slice(-3000)}`;

describe('staging: an unhealthy AMI is undone; the next good one goes in without allow-older', () => {
  let lc: Localcloud;
  let fleet: Fleet;
  let good: string;
  let bad: string;
  let deploy: ReturnType<typeof deployer>;

  beforeAll(async () => {
    lc = await start({ port: 0, seed: 31 });
    fleet = await seedFleet(lc);
    const now = Date.now();
    // good is older than bad: after bad failed, good must not be refused as "older".
    [good, bad] = lc.control
      .seed({
        images: [
          { name: 'web-good', creationDate: now - 2 * hour },
          { name: 'web-bad', creationDate: now - hour, health: 'unhealthy' },
        ],
      })
      .images.map((i) => i.imageId) as [string, string];
    deploy = deployer(lc);
    // staging is recorded on the AMI it runs.
    const first = await deploy({
      'ami-id': fleet.baseAmiId,
      environment: 'staging',
      'allow-foreign-ami': true,
    });
    expect(story(first)).not.toMatch(/::error::/);
    expect(first.outputs).toMatchObject({ status: 'healthy', refreshes: '[]', changed: 'true' });
  });
  afterAll(async () => {
    fleet.stop();
    await lc.stop();
  });

  test('the unhealthy AMI is rolled back, staging still points at the old AMI, its template version is gone', async () => {
    const r = await deploy({ 'ami-id': bad, environment: 'staging', 'unhealthy-grace': '2' });
    expect(r.exitCode).toBe(1);
    expect(['rolled-back', 'failed']).toContain(r.outputs.status);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(
      /^staging: us-east-1\/web-staging: .*; restored: label staging was not moved .*; deleted launch template \S+ \(lt-\w+\) version 2 /,
    );
    expect(r.errors[0]).not.toMatch(/Invalid input/);
    expect(groupsNest(r)).toBe(false);
    // What is left: the parameter never recorded the bad AMI, the fleet and $Latest are back on the old one.
    expect(await parameterHistory(lc, PARAM)).toEqual([`1:${fleet.baseAmiId}[staging]`]);
    expect(await parameterValue(lc, `${PARAM}:staging`)).toBe(fleet.baseAmiId);
    expect(await groupAmis(lc, 'web-staging')).toEqual([fleet.baseAmiId]);
    expect(await templateState(lc, 'web-staging')).toEqual({
      groupVersion: '1',
      versions: { 1: fleet.baseAmiId },
      latest: 1,
      default: 1,
    });
    expect(r.outputs.version).toBe('');
    expect(r.summary).toMatch(/restore/);
    expect(r.summary).not.toMatch(/❌ deploy-ami: failed\n/);
  });

  test('the next good (older) AMI is accepted without allow-older and recorded once proven', async () => {
    const r = await deploy({ 'ami-id': good, environment: 'staging' });
    expect(story(r)).not.toMatch(/::error::/);
    expect(r.outputs).toMatchObject({
      status: 'healthy',
      changed: 'true',
      'previous-ami-id': fleet.baseAmiId,
    });
    expect(await parameterHistory(lc, PARAM)).toEqual([`1:${fleet.baseAmiId}`, `2:${good}[staging]`]);
    expect(await groupAmis(lc, 'web-staging')).toEqual([good]);
    const t = await templateState(lc, 'web-staging');
    expect(t.groupVersion).toBe(String(t.latest));
    expect(t.versions[t.latest!]).toBe(good);
    expect(Object.values(t.versions)).not.toContain(bad);
    // production was never touched.
    expect(await groupAmis(lc, 'web-production')).toEqual([fleet.baseAmiId]);
  });
});

describe('production: refused, dry-run and expected-version failures leave it as it was', () => {
  const PORT = 18531;
  let lc: Localcloud;
  let fleet: Fleet;
  let target: string;
  let deploy: ReturnType<typeof deployer>;
  let asg: AutoScalingClient;

  beforeAll(async () => {
    lc = await start({ port: 0, seed: 32, instanceHttpPort: PORT });
    fleet = await seedFleet(lc);
    target = lc.control.seed({ images: [{ name: 'web-2', version: '2.0.0' }] }).images[0]!.imageId;
    deploy = deployer(lc);
    asg = new AutoScalingClient({ region: REGION, endpoint: lc.url, credentials });
    const first = await deploy({
      'ami-id': fleet.baseAmiId,
      environment: 'production',
      'allow-foreign-ami': true,
    });
    expect(first.outputs.status).toBe('healthy');
  });
  afterAll(async () => {
    asg.destroy();
    fleet.stop();
    await lc.stop();
  });

  const unchanged = async () => {
    expect(await parameterHistory(lc, PARAM)).toEqual([`1:${fleet.baseAmiId}[production]`]);
    for (const g of ['web-production', 'api-production']) {
      expect(await groupAmis(lc, g)).toEqual([fleet.baseAmiId]);
      expect(await templateState(lc, g)).toEqual({
        groupVersion: '1',
        versions: { 1: fleet.baseAmiId },
        latest: 1,
        default: 1,
      });
    }
  };

  test('a dry run prints the true plan and changes nothing', async () => {
    const before = lc.logs.mutations.query().length;
    const r = await deploy({ 'ami-id': target, environment: 'production', 'dry-run': true });
    expect(story(r)).not.toMatch(/::error::/);
    expect(r.outputs).toMatchObject({ status: 'planned', version: '', changed: 'false', refreshes: '[]' });
    expect(r.log).toMatch(
      /Plan: refresh (web-production, api-production|api-production, web-production); label production moves to/,
    );
    expect(r.log).not.toMatch(/already current/);
    expect(groupsNest(r)).toBe(false);
    expect(lc.logs.mutations.query().length).toBe(before);
    await unchanged();
  });

  test("a dry run's reap forecast counts the targets of the instances the refresh will replace", async () => {
    const withOctopus = deployer(lc, { OCTOPUS_URL: `${lc.url}/octopus`, OCTOPUS_API_KEY: DEFAULT_API_KEY });
    const r = await withOctopus({ 'ami-id': target, environment: 'production', 'dry-run': true, reap: true });
    expect(story(r)).not.toMatch(/::error::/);
    // The orphan already gone, and the five production instances both refreshes replace.
    expect(r.log).toMatch(/Dry run: would delete 6 target\(s\)/);
    expect(r.log).toMatch(/the refresh replaces its instance|i-0deaddeaddead0001/);
    expect(lc.octopus.logs.mutations.filter((m) => m.operation === 'machines.delete')).toEqual([]);
  });

  test('a roll refused by its checks (a refresh in progress) after promote would have passed changes nothing', async () => {
    const foreign = await asg.send(
      new StartInstanceRefreshCommand({
        AutoScalingGroupName: 'web-production',
        Preferences: { CheckpointPercentages: [50, 100], CheckpointDelay: 3600, MinHealthyPercentage: 50 },
      }),
    );
    try {
      const r = await deploy({ 'ami-id': target, environment: 'production' });
      expect(r.exitCode).toBe(1);
      expect(r.outputs.status).toBe('refused');
      expect(r.errors).toEqual([
        expect.stringMatching(
          /^production: refused before any change, nothing was changed: Nothing was changed: group us-east-1\/web-production already has instance refresh /,
        ),
      ]);
      expect(r.log).toMatch(/will update \/golden-ami\/web from/);
    } finally {
      await asg.send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: 'web-production' }));
    }
    expect(foreign.InstanceRefreshId).toBeTruthy();
    expect(await parameterHistory(lc, PARAM)).toEqual([`1:${fleet.baseAmiId}[production]`]);
    expect(await templateState(lc, 'web-production')).toMatchObject({
      versions: { 1: fleet.baseAmiId },
      latest: 1,
    });
  });

  test('an expected-version failure after a Successful refresh ends rolled-back with every instance on the old AMI', async () => {
    const r = await deploy({
      'ami-id': target,
      environment: 'production',
      'asg-names': 'api-production',
      'health-url': `http://{private-ip}:${PORT}/version`,
      'expected-version': '9.9.9',
      'unhealthy-grace': '1',
      timeout: '2m',
    });
    expect(`${r.outputs.status}\n${story(r)}`).toMatch(/^rolled-back\n/);
    expect(r.exitCode).toBe(1);
    expect(r.outputs.status).toBe('rolled-back');
    const [result] = JSON.parse(r.outputs.results!) as {
      action: string;
      refreshStatus: string;
      message: string;
    }[];
    // The wait leaves the failure as it is; the put-back refreshes the group back.
    expect(result).toMatchObject({ action: 'none', refreshStatus: 'Successful' });
    expect(r.errors[0]).toMatch(
      /^production: us-east-1\/api-production: failed: .*serves "2\.0\.0", not 9\.9\.9.*; restored: label production was not moved .*; us-east-1\/api-production: refreshed back \(refresh \S+\), no instance runs ami-\w+; deleted launch template \S+ \(lt-\w+\) version 2/,
    );
    expect(r.summary).not.toMatch(/health-url passed 0/);
    expect(await groupAmis(lc, 'api-production')).toEqual([fleet.baseAmiId]);
    expect(await templateState(lc, 'api-production')).toEqual({
      groupVersion: '1',
      versions: { 1: fleet.baseAmiId },
      latest: 1,
      default: 1,
    });
    expect(await parameterHistory(lc, PARAM)).toEqual([`1:${fleet.baseAmiId}[production]`]);
  });
});

describe('reaping never blocks a deployment', () => {
  let lc: Localcloud;
  let fleet: Fleet;
  const target = () => lc.control.seed({ images: [{ name: 'web-3' }] }).images[0]!.imageId;

  beforeAll(async () => {
    lc = await start({ port: 0, seed: 33 });
    fleet = await seedFleet(lc);
  });
  afterAll(async () => {
    fleet.stop();
    await lc.stop();
  });

  test('a reap refused by its cap is a warning; the deploy lands and is recorded', async () => {
    const ami = target();
    const r = await deployer(lc, { OCTOPUS_URL: `${lc.url}/octopus`, OCTOPUS_API_KEY: DEFAULT_API_KEY })({
      'ami-id': ami,
      environment: 'production',
      reap: true,
      'max-reap': '1',
    });
    expect(story(r)).not.toMatch(/::error::/);
    expect(r.exitCode).toBe(0);
    expect(r.outputs).toMatchObject({ status: 'healthy', 'reaped-count': '0' });
    expect(r.warnings.join('\n')).toMatch(
      /reaping Octopus targets failed: .*max-reap.*the deployment stands \(reap-failure: warn\)/,
    );
    expect(r.summary).toMatch(/⚠️ reaping Octopus targets failed/);
    expect(lc.octopus.logs.mutations.filter((m) => m.operation === 'machines.delete')).toEqual([]);
    expect(await groupAmis(lc, 'web-production')).toEqual([ami]);
    expect(await groupAmis(lc, 'api-production')).toEqual([ami]);
    expect(await parameterValue(lc, `${PARAM}:production`)).toBe(ami);
  });
});

describe('rolling that fails part way', () => {
  let lc: Localcloud;
  let fleet: Fleet;

  beforeAll(async () => {
    lc = await start({ port: 0, seed: 36 });
    fleet = await seedFleet(lc);
  });
  afterAll(async () => {
    fleet.stop();
    await lc.stop();
  });

  test('the refresh already started is rolled back and every version this run made is gone', async () => {
    const ami = lc.control.seed({ images: [{ name: 'web-5' }] }).images[0]!.imageId;
    // The first start passes; every attempt (SDK retries included) for the second group fails.
    const rule = lc.faults.add({
      service: 'autoscaling',
      operation: 'StartInstanceRefresh',
      kind: 'error',
      status: 500,
      sequence: '.xxxxxx',
    });
    let r: ActionRun;
    try {
      r = await deployer(lc)({ 'ami-id': ami, environment: 'production', timeout: '2m' });
    } finally {
      lc.faults.remove(rule.id);
    }
    expect(`${r.outputs.status}\n${story(r)}`).toMatch(/^rolled-back\n/);
    expect(r.errors[0]).toMatch(
      /^production: rolling failed: Rolling 2 group\(s\) failed: .*; restored: label production was not moved .*; us-east-1\/\S+: refresh \S+ rolled back \(RollbackInstanceRefresh\); deleted launch template \S+ \(lt-\w+\) version 2 /,
    );
    for (const g of ['web-production', 'api-production']) {
      expect(await groupAmis(lc, g)).toEqual([fleet.baseAmiId]);
      expect(await templateState(lc, g)).toEqual({
        groupVersion: '1',
        versions: { 1: fleet.baseAmiId },
        latest: 1,
        default: 1,
      });
    }
    expect(await parameterHistory(lc, PARAM)).toEqual([]);
  });
});

describe('a group whose template resolves the label: the label moves first and is put back', () => {
  let lc: Localcloud;
  let ssm: SSMClient;

  beforeAll(async () => {
    lc = await start({ port: 0, seed: 34 });
    ssm = new SSMClient({ region: REGION, endpoint: lc.url, credentials });
  });
  afterAll(async () => {
    ssm.destroy();
    await lc.stop();
  });

  test('an unhealthy AMI: label and value written by the run go back to the old AMI', async () => {
    const [base, bad] = lc.control
      .seed({
        images: [
          { name: 'ssm-base', creationDate: Date.now() - hour },
          { name: 'ssm-bad', health: 'unhealthy' },
        ],
      })
      .images.map((i) => i.imageId) as [string, string];
    lc.control.seed({ parameters: [{ name: '/golden-ami/ssm', value: base, dataType: 'aws:ec2:image' }] });
    await ssm.send(
      new LabelParameterVersionCommand({ Name: '/golden-ami/ssm', ParameterVersion: 1, Labels: ['staging'] }),
    );
    seedGroup(lc.world, REGION, {
      name: 'ssm-web',
      consent: '/golden-ami/ssm',
      desired: 2,
      imageParameter: '/golden-ami/ssm:staging',
      tags: { Environment: 'ssm-staging' },
    });
    const r = await runActionStep('deploy-ami', {
      inputs: {
        'ami-id': bad,
        'parameter-name': '/golden-ami/ssm',
        environment: 'ssm-staging',
        label: 'staging',
        'auto-rollback': false,
        'unhealthy-grace': '2',
        timeout: '2m',
        'poll-interval': '0.3',
        'max-poll-interval': '1',
      },
      env: localcloudEnv(lc.url, REGION),
    });
    expect(r.exitCode).toBe(1);
    // AWS cannot roll an SSM-resolved refresh back: it is cancelled, the label put back, and the
    // group refreshed back, launching what the label says again.
    expect(r.outputs.status).toBe('rolled-back');
    expect(r.log).toMatch(/label staging moves to ami-\w+ in a new version first/);
    expect(r.errors[0]).toMatch(
      new RegExp(
        `restored: label staging back on version 1 \\(${base}\\); /golden-ami/ssm back to ${base} \\(version 3\\)`,
      ),
    );
    expect(await groupAmis(lc, 'ssm-web')).toEqual([base]);
    expect(await parameterHistory(lc, '/golden-ami/ssm')).toEqual([
      `1:${base}[staging]`,
      `2:${bad}`,
      `3:${base}`,
    ]);
    expect(await parameterValue(lc, '/golden-ami/ssm:staging')).toBe(base);
    expect(await parameterValue(lc, '/golden-ami/ssm')).toBe(base);
  });
});

describe('wait-healthy when no DescribeInstanceRefreshes call succeeds', () => {
  let lc: Localcloud;
  let fleet: Fleet;

  beforeAll(async () => {
    lc = await start({ port: 0, seed: 35 });
    fleet = await seedFleet(lc);
  });
  afterAll(async () => {
    fleet.stop();
    await lc.stop();
  });

  test('it ends by timeout with timed-out, whatever AWS answers', async () => {
    const ami = lc.control.seed({ images: [{ name: 'web-4' }] }).images[0]!.imageId;
    const rolled = await runActionStep('roll-asg', {
      inputs: { 'asg-names': 'web-staging', 'ami-id': ami },
      env: localcloudEnv(lc.url, REGION),
    });
    expect(rolled.exitCode).toBe(0);
    const rule = lc.faults.add({
      service: 'autoscaling',
      operation: 'DescribeInstanceRefreshes',
      kind: 'error',
      status: 503,
    });
    try {
      const r = await runActionStep('wait-healthy', {
        inputs: {
          refreshes: rolled.outputs.refreshes!,
          timeout: '1m',
          'poll-interval': '1',
        },
        env: localcloudEnv(lc.url, REGION),
      });
      expect(r.killedBy).toBeNull();
      expect(r.exitCode).toBe(1);
      expect(r.outputs.status).toBe('timed-out');
      const [g] = JSON.parse(r.outputs.results!) as { status: string; message: string }[];
      expect(g).toMatchObject({ status: 'timed-out' });
      expect(g!.message).toMatch(
        /timed out after 1 minute\(s\) \(timeout\) without reading the refresh once \(last error: describing the refresh of web-staging: .*\); nothing was rolled back/,
      );
      // One summary heading, the outcome's: no second "failed" one from the error boundary.
      expect(r.summary.match(/^### /gm)).toEqual(['### ']);
      expect(r.summary).toMatch(/⏱️ wait-healthy: timed-out/);
    } finally {
      lc.faults.remove(rule.id);
    }
  });
});
