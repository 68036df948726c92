// deploy-ami's transaction and its input spec, with the steps faked: plan before any change, the
// label first only for SSM-resolving groups, what a failure puts back, reaping that never blocks,
// one log group at a time, and that the spec matches action.yml.
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { AwsClients } from '../../../src/aws/clients.js';
import { AbortedError, ActionFailure, ConfigurationError } from '../../../src/core/errors.js';
import { declaredInputs, parseInputs } from '../../../src/core/inputs.js';
import { memoryLog } from '../../../src/core/log.js';
import type { ActionContext } from '../../../src/core/context.js';
import { deploy, oneGroupAtATime } from '../../../src/deploy/deploy.js';
import { DeployFailure } from '../../../src/deploy/result.js';
import { stepOptions, type DeploySteps } from '../../../src/deploy/steps.js';
import type { JournalData } from '../../../src/deploy/journal.js';
import { PutBackReport } from '../../../src/deploy/persist.js';
import type { HealthResult, HealthStatus } from '../../../src/health/wait.js';
import type { PromoteResult } from '../../../src/promote/types.js';
import type { ReapResult } from '../../../src/reap/reap.js';
import { RollFailure, type RollResult } from '../../../src/roll/roll.js';
import { deployment, deploySpec, groupSelection, type Deployment } from '../../../src/deploy/inputs.js';
import { fakeClock } from '../../support/fake-clock.js';

const parse_ = (
  raw: Record<string, string>,
  env: Record<string, string> = { AWS_REGION: 'us-east-1' },
): Deployment => deployment(parseInputs(deploySpec, { input: (n) => raw[n] ?? '', env: (n) => env[n] }));

const base = {
  'ami-id': 'ami-0123456789abcdef0',
  'parameter-name': '/golden-ami/web',
  environment: 'staging',
};

function fakes(
  o: { wait?: HealthStatus; imageSource?: 'launch-template' | 'ssm-parameter'; current?: boolean } = {},
) {
  const calls: string[] = [];
  const journals: JournalData[] = [];
  const leftBehind: { what: string; command: string }[] = [];
  const promoted = (dryRun: boolean): PromoteResult => ({
    parameterName: '/golden-ami/web',
    dryRun,
    changed: !dryRun,
    regions: [
      {
        region: 'us-east-1',
        amiId: base['ami-id'],
        outcome: 'updated',
        previousAmiId: 'ami-00000000000000001',
        previousVersion: 3,
        ...(dryRun ? {} : { version: 4 }),
        label: { name: 'staging', previousVersion: 3, moved: true },
        changed: !dryRun,
        notes: [],
      },
    ],
  });
  const rolled = (dryRun: boolean): RollResult => ({
    dryRun,
    amiIds: { 'us-east-1': base['ami-id'] },
    asgNames: ['web'],
    groups: [
      {
        region: 'us-east-1',
        group: 'web',
        status: o.current ? 'already-current' : dryRun ? 'would-refresh' : 'refresh-started',
        imageSource: o.imageSource ?? 'launch-template',
        amiId: base['ami-id'],
        template: { id: 'lt-1', requested: '3', previousVersion: 3, version: 4, created: true },
        instances: { total: 2, onAmi: 0 },
        before: {
          source: { LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: '3' } },
          pinned: { LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: '3' } },
        },
      },
    ],
    refreshes:
      dryRun || o.current
        ? []
        : [{ region: 'us-east-1', group: 'web', refreshId: 'r-1', amiId: base['ami-id'] }],
  });
  const health = (status: HealthStatus): HealthResult => ({
    status,
    groups: [],
    failures: status === 'healthy' ? [] : [`us-east-1/web: ${status}: web rolled back to version 3`],
    startedAt: 0,
    endedAt: 1,
    requests: {},
    maxRequestsPerSecond: 5,
  });
  const steps: DeploySteps = {
    planPromote: async () => (calls.push('plan-promote'), promoted(true)),
    planRoll: async () => (calls.push('plan-roll'), rolled(true)),
    promote: async () => (calls.push('promote'), promoted(false)),
    roll: async () => (calls.push('roll'), rolled(false)),
    wait: async (_c, r) => (calls.push(`wait:${r.length}`), health(o.wait ?? 'healthy')),
    settleSources: async () => [],
    putBack: async (_c, journal, o) => {
      calls.push(o.quick ? 'put-back:quick' : 'put-back');
      journals.push(journal);
      const report = new PutBackReport();
      report.touched = true;
      if (o.quick) report.unfinished = true;
      if (journal.parameter?.labelVersion !== undefined && journal.groups[0]?.imageSource === 'ssm-parameter')
        report.done('label staging back on version 3 (ami-00000000000000001)');
      report.done('deleted launch template lt-1 version 4');
      for (const r of leftBehind) report.left(r.what, undefined, r.command);
      return report;
    },
    reap: async (_c, dryRun) => (
      calls.push(`reap:${dryRun}`),
      { reaped: [{}], scanned: 3, dryRun } as unknown as ReapResult
    ),
  };
  return { calls, steps, journals, leftBehind };
}

const ctx = (): ActionContext & { log: ReturnType<typeof memoryLog> } => ({
  clients: {} as AwsClients,
  clock: fakeClock(),
  log: memoryLog(),
  signal: new AbortController().signal,
});

const failureOf = (p: Promise<unknown>) => p.then(() => undefined).catch((e: unknown) => e as DeployFailure);
const reaping = {
  ...base,
  reap: 'true',
  'octopus-url': 'https://octopus.example.com',
};
const withKey = { AWS_REGION: 'us-east-1', OCTOPUS_API_KEY: 'API-X' };
const noEnv = { env: () => undefined };

describe('deploy', () => {
  test('id-pinned groups: plan, roll, prove, then record the label; reap last', async () => {
    const f = fakes();
    const r = await deploy(ctx(), parse_(reaping, withKey), f.steps);
    expect(f.calls).toEqual(['plan-promote', 'plan-roll', 'roll', 'wait:1', 'promote', 'reap:false']);
    expect(r.status).toBe('healthy');
    expect(r.order).toBe('fleet-first');
    expect(r.timings.map((t) => t.phase)).toEqual(['plan', 'roll', 'wait', 'sources', 'record', 'reap']);
  });

  test('groups resolving the parameter: the label moves first, and back when the fleet does not end healthy', async () => {
    const f = fakes({ imageSource: 'ssm-parameter', wait: 'rolled-back' });
    const err = await failureOf(deploy(ctx(), parse_(base), f.steps));
    expect(f.calls).toEqual(['plan-promote', 'plan-roll', 'promote', 'roll', 'wait:1', 'put-back']);
    expect(err).toBeInstanceOf(DeployFailure);
    expect(err!.result.status).toBe('rolled-back');
    expect(err!.message).toBe(
      'staging: us-east-1/web: rolled-back: web rolled back to version 3; restored: ' +
        'label staging back on version 3 (ami-00000000000000001); deleted launch template lt-1 version 4',
    );
    // The journal holds the environment as planned, saved before the first change.
    expect(f.journals[0]).toMatchObject({
      amiId: base['ami-id'],
      parameter: { name: '/golden-ami/web', label: 'staging', version: 3, labelVersion: 3 },
      groups: [{ name: 'web', imageSource: 'ssm-parameter', source: { LaunchTemplate: { Version: '3' } } }],
    });
  });

  test('id-pinned groups that fail: the label never moved, versions retired, the line says so', async () => {
    const f = fakes({ wait: 'timed-out' });
    const err = await failureOf(deploy(ctx(), parse_(base), f.steps));
    expect(f.calls).toEqual(['plan-promote', 'plan-roll', 'roll', 'wait:1', 'put-back']);
    expect(err!.result.status).toBe('timed-out');
    expect(err!.message).toMatch(
      /restored: label staging was not moved .*; deleted launch template lt-1 version 4$/,
    );
  });

  test('what the put-back could not do makes the status failed and is listed with its command', async () => {
    const f = fakes({ wait: 'failed' });
    f.leftBehind.push({
      what: 'label staging still names the AMI',
      command: 'aws ssm label-parameter-version x',
    });
    const err = await failureOf(deploy(ctx(), parse_(base), f.steps));
    expect(err!.result.status).toBe('failed');
    expect(err!.message).toMatch(
      /; NOT put back: label staging still names the AMI \(finish with: aws ssm label-parameter-version x\)$/,
    );
    expect(err!.result.remaining).toHaveLength(1);
  });

  test('cancelled mid-wait: only the quick put-back runs, and the line says the post step finishes it', async () => {
    const f = fakes();
    const abort = new AbortController();
    f.steps.wait = async () => {
      f.calls.push('wait');
      abort.abort(new AbortedError('cancelled by SIGINT'));
      throw new AbortedError('cancelled by SIGINT');
    };
    const err = await failureOf(deploy({ ...ctx(), signal: abort.signal }, parse_(base), f.steps));
    expect(f.calls).toEqual(['plan-promote', 'plan-roll', 'roll', 'wait', 'put-back:quick']);
    expect(err).toBeInstanceOf(DeployFailure);
    expect(err!.result.status).toBe('failed');
    expect(err!.message).toMatch(
      /^staging: cancelled: cancelled by SIGINT; restored: .*the post step finishes/,
    );
  });

  test('rolling that fails part way puts back what the journal holds', async () => {
    const f = fakes({ imageSource: 'ssm-parameter' });
    f.steps.roll = async () => {
      f.calls.push('roll');
      const partial: RollResult = {
        dryRun: false,
        amiIds: {},
        asgNames: ['web', 'api'],
        groups: [],
        refreshes: [{ region: 'us-east-1', group: 'web', refreshId: 'r-1', amiId: base['ami-id'] }],
      };
      throw new RollFailure(partial, 'Rolling 2 group(s) failed: failed for api (us-east-1): boom.');
    };
    const err = await failureOf(deploy(ctx(), parse_(base), f.steps));
    expect(f.calls).toEqual(['plan-promote', 'plan-roll', 'promote', 'roll', 'put-back']);
    expect(err!.result.status).toBe('rolled-back');
    expect(err!.message).toMatch(
      /^staging: rolling failed: Rolling 2 group\(s\) failed: .*; restored: label staging back on version 3/,
    );
  });

  test('a refusal in the plan changes nothing and is not a healthy status', async () => {
    const f = fakes();
    f.steps.planRoll = async () => {
      f.calls.push('plan-roll');
      throw new ActionFailure('Nothing was changed: group web already has instance refresh r-0');
    };
    const err = await failureOf(deploy(ctx(), parse_(base), f.steps));
    expect(f.calls).toEqual(['plan-promote', 'plan-roll']);
    expect(err!.result.status).toBe('refused');
    expect(err!.message).toMatch(/^staging: refused before any change, nothing was changed: /);
  });

  test('a dry run plans (reap included) and changes nothing', async () => {
    const f = fakes();
    const r = await deploy(ctx(), parse_({ ...reaping, 'dry-run': 'true' }, withKey), f.steps);
    expect(f.calls).toEqual(['plan-promote', 'plan-roll', 'reap:true']);
    expect(r.status).toBe('planned');
  });

  test('every group already current: proven by the same wait (verify only), then the label is recorded', async () => {
    const f = fakes({ current: true });
    const watched: unknown[] = [];
    const wait = f.steps.wait;
    f.steps.wait = async (c, r) => (watched.push(...r), wait(c, r));
    const r = await deploy(ctx(), parse_(base), f.steps);
    expect(f.calls).toEqual(['plan-promote', 'plan-roll', 'roll', 'wait:1', 'promote']);
    expect(watched).toEqual([
      { region: 'us-east-1', group: 'web', amiId: base['ami-id'], verifyOnly: true, newVersion: '4' },
    ]);
    expect(r.status).toBe('healthy');
  });

  test('a failing reap warns and the deployment stands, unless reap-failure: fail', async () => {
    const f = fakes();
    f.steps.reap = async () => {
      throw new ActionFailure('Refused: 3 targets is over max-reap (1)');
    };
    const c = ctx();
    const r = await deploy(c, parse_(reaping, withKey), f.steps);
    expect(r.status).toBe('healthy');
    expect(r.reap?.warning).toMatch(/max-reap/);
    expect(c.log.lines).toContainEqual(expect.stringMatching(/^warning: reaping .*reap-failure: warn/));

    const strict = await failureOf(
      deploy(ctx(), parse_({ ...reaping, 'reap-failure': 'fail' }, withKey), f.steps),
    );
    expect(strict!.result.status).toBe('healthy');
    expect(strict!.message).toMatch(/proven healthy, but reaping Octopus targets failed/);
  });

  test('log groups never nest: an inner group becomes a line', async () => {
    const log = memoryLog();
    const flat = oneGroupAtATime(log);
    await flat.group('outer', () => flat.group('inner', async () => log.info('x')));
    expect(log.lines).toEqual(['[outer]', '▸ inner', 'x']);
  });
});

describe('deploy-ami inputs', () => {
  test('groups default to Environment=<environment>; names or tags replace that', () => {
    expect(groupSelection(parse_(base))).toEqual({ asgNames: [], asgTags: { Environment: 'staging' } });
    expect(groupSelection(parse_({ ...base, 'asg-names': 'a,b' }))).toEqual({
      asgNames: ['a', 'b'],
      asgTags: {},
    });
  });

  test('every problem is reported at once', () => {
    let err: unknown;
    try {
      parse_({
        'ami-id': 'ami-xyz',
        environment: 'staging',
        reap: 'true',
        'min-healthy-percentage': '100',
        'max-healthy-percentage': '100',
        'checkpoint-percentages': '50,20',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigurationError);
    const problems = (err as ConfigurationError).problems.join('\n');
    expect(problems).toMatch(/ami-id: "ami-xyz" is not accepted/);
    expect(problems).toMatch(/parameter-name: is required/);
  });

  test('reap needs an Octopus URL and a credential', () => {
    expect(() => parse_({ ...base, reap: 'true' })).toThrow(
      /octopus-url: is required with reap: true[\s\S]*octopus-api-key/,
    );
  });

  test('the spec and the root action.yml declare the same inputs, defaults and outputs', () => {
    const meta = parse(readFileSync('action.yml', 'utf8')) as {
      inputs: Record<string, { default?: string; required?: boolean }>;
      outputs: Record<string, unknown>;
    };
    // Every field, and the old names of renamed ones (deprecated, no default).
    expect(Object.keys(meta.inputs).sort()).toEqual(
      declaredInputs(deploySpec)
        .map((i) => i.name)
        .sort(),
    );
    for (const { name, ...field } of declaredInputs(deploySpec)) {
      expect([name, meta.inputs[name]?.default]).toEqual([name, field.default]);
      // Required in action.yml only when the code cannot fall back to an environment variable.
      expect([name, meta.inputs[name]?.required === true]).toEqual([name, field.required && !field.env]);
    }
    expect(Object.keys(meta.outputs).sort()).toEqual(Object.keys(deploySpec.outputs).sort());
  });
});

describe('deploy-ami step options', () => {
  test('alarms, scale-in-protected-instances and standby-instances flow from deploy-ami into the refresh preferences', () => {
    const picked = {
      alarms: 'web-5xx,web-latency',
      'scale-in-protected-instances': 'Refresh',
      'standby-instances': 'Terminate',
    };
    expect(stepOptions(parse_({ ...base, ...picked }), noEnv).roll.preferences).toMatchObject({
      alarms: ['web-5xx', 'web-latency'],
      scaleInProtectedInstances: 'Refresh',
      standbyInstances: 'Terminate',
    });
    expect(stepOptions(parse_(base), noEnv).roll.preferences).toMatchObject({ alarms: [] });
    expect(stepOptions(parse_(base), noEnv).roll.preferences.standbyInstances).toBeUndefined();
  });
  test("each action's toOptions over deploy-ami's fields: picked fields flow on, the rest are its defaults", () => {
    const o = stepOptions(parse_({ ...base, 'instance-warmup': '5m', timeout: '30m' }), noEnv);
    expect(o.roll).toMatchObject({
      regions: ['us-east-1'],
      names: [],
      tags: { Environment: 'staging' },
      consent: '/golden-ami/web',
      ami: { id: base['ami-id'] },
      setDefaultVersion: false,
      maxConcurrency: 10,
      timeoutMs: 1_800_000,
      pollIntervalMs: 15_000,
      maxPollIntervalMs: 60_000,
      dryRun: false,
      wait: false,
    });
    expect(o.roll.preferences).toMatchObject({ instanceWarmupMs: 300_000 });
    expect(o.roll.preferences.minHealthyPercentage).toBeUndefined();
    expect(o.promote).toMatchObject({
      parameterName: '/golden-ami/web',
      targets: [{ region: 'us-east-1', amiId: base['ami-id'] }],
      label: 'staging',
      allowOlder: false,
      dryRun: false,
      validationTimeoutMs: 120_000,
      pollIntervalMs: 1000,
      protect: false,
    });
    expect(o.wait).toMatchObject({
      refreshes: undefined,
      asgNames: [],
      asgTags: {},
      regions: ['us-east-1'],
      timeoutMs: 1_800_000,
      unhealthyGraceMs: 300_000,
      rollbackOnFailure: false,
      leftFor: "deploy-ami's put-back",
    });
  });

  test('a production label is protected; reap takes Octopus environments, its whole-token id match and caps', () => {
    const o = stepOptions(parse_({ ...reaping, environment: 'production' }, withKey), noEnv);
    expect(o.promote.protect).toBe(true);
    expect(o.reap).toMatchObject({
      environments: ['production'],
      regions: ['us-east-1'],
      maxReap: 10,
      maxReapPercent: 75,
      dryRun: false,
      octopus: { url: 'https://octopus.example.com', apiKey: 'API-X' },
    });
    expect(o.reap.instanceIdPattern.test('web-i-0123456789abcdef0')).toBe(true);
    expect(o.reap.instanceIdPattern.test('xi-0123456789abcdef0')).toBe(false);
  });
});
