// deploy-ami across regions with each region's steps faked: amis and region-waves as inputs, every
// region planned before any change, waves in order, labels only once every region is proven, and
// any failure puts every started region back (never one that did not start).
import { describe, expect, test } from '@jest/globals';
import type { AwsClients } from '../../../src/aws/clients.js';
import type { ActionContext } from '../../../src/core/context.js';
import { ConfigurationError } from '../../../src/core/errors.js';
import { parseInputs } from '../../../src/core/inputs.js';
import { memoryLog } from '../../../src/core/log.js';
import { deployOptions, deployOutputs } from '../../../src/deploy/capability.js';
import { deploySpec, regionDeployments } from '../../../src/deploy/inputs.js';
import { repeatedKey } from '../../../src/deploy/region-inputs.js';
import { Journal } from '../../../src/deploy/journal.js';
import { PutBackReport } from '../../../src/deploy/persist.js';
import { deployRegions, RegionsFailure, type RegionsPlan } from '../../../src/deploy/regions.js';
import { stepOptions, type DeploySteps } from '../../../src/deploy/steps.js';
import type { HealthResult } from '../../../src/health/wait.js';
import type { PromoteResult } from '../../../src/promote/types.js';
import type { RollResult } from '../../../src/roll/roll.js';
import { fakeClock } from '../../support/fake-clock.js';

const AMIS = {
  'us-east-1': 'ami-0000000000000000a',
  'eu-west-1': 'ami-0000000000000000b',
  'ap-southeast-2': 'ami-0000000000000000c',
};
type Region = keyof typeof AMIS;
const base = { 'parameter-name': '/golden-ami/web', environment: 'production' };

const parse = (raw: Record<string, string>) =>
  parseInputs(deploySpec, { input: (n) => raw[n] ?? '', env: (n) => ({ AWS_REGION: 'us-east-1' })[n] });

const problems = (raw: Record<string, string>): string[] => {
  try {
    parse(raw);
    return [];
  } catch (err) {
    return (err as ConfigurationError).problems;
  }
};

describe('amis and region-waves', () => {
  test("bake-ami's amis as is, or region=ami lines", () => {
    expect(parse({ ...base, amis: JSON.stringify(AMIS) }).amis).toEqual(AMIS);
    const lines = Object.entries(AMIS)
      .map(([r, a]) => `${r}=${a}`)
      .join('\n');
    expect(parse({ ...base, amis: lines }).amis).toEqual(AMIS);
  });

  test('bad input is refused naming the input and what is accepted', () => {
    expect(problems({ ...base, amis: '{"us-east-1":"ami-nope"}' })).toEqual([
      expect.stringMatching(
        /^amis: us-east-1: "ami-nope" is not an AMI id; expected bake-ami's `amis` output/,
      ),
    ]);
    expect(
      problems({ ...base, amis: 'us-east-1=ami-0000000000000000a,us-east-1=ami-0000000000000000b' }),
    ).toEqual([expect.stringMatching(/^amis: us-east-1 is given twice; expected/)]);
    // JSON.parse keeps the last of a repeated key: refused as in lines, whatever the spacing or escapes.
    const twice = `{ "us-east-1" : "${AMIS['us-east-1']}", "eu-west-1":"${AMIS['eu-west-1']}", "us-\\u0065ast-1":"${AMIS['us-east-1']}" }`;
    expect(problems({ ...base, amis: twice })).toEqual([
      expect.stringMatching(/^amis: us-east-1 is given twice; expected/),
    ]);
    expect(repeatedKey('{"a":"x:\\"","b":{"a":1},"c":["a"]}')).toBeUndefined();
    expect(problems({ ...base, amis: 'nowhere=ami-0000000000000000a' })).toEqual([
      expect.stringMatching(/^amis: "nowhere" is not a region; expected/),
    ]);
    expect(problems({ ...base, 'ami-id': AMIS['us-east-1'], amis: JSON.stringify(AMIS) })).toContain(
      'ami-id and amis: give only one of ami-id, amis',
    );
    expect(problems({ ...base, 'region-waves': 'us-east-1' })).toEqual(
      expect.arrayContaining(['one of ami-id, amis is required', 'region-waves: needs amis as well']),
    );
    expect(
      problems({ ...base, amis: JSON.stringify(AMIS), 'region-waves': 'us-east-1;us-east-1,eu-west-1' }),
    ).toEqual([
      'region-waves: us-east-1 is in more than one wave',
      'region-waves: ap-southeast-2 of amis is in no wave; name every region once',
    ]);
    expect(problems({ ...base, amis: JSON.stringify(AMIS), 'expected-current': AMIS['us-east-1'] })).toEqual([
      expect.stringMatching(/^expected-current: an AMI id belongs to one region; with amis give a JSON map/),
    ]);
    const partial = JSON.stringify({ 'us-east-1': AMIS['us-east-1'], 'sa-east-1': 'none' });
    expect(problems({ ...base, amis: JSON.stringify(AMIS), 'expected-current': partial })).toEqual([
      'expected-current: has no entry for eu-west-1, ap-southeast-2',
      'expected-current: sa-east-1 is not a region of amis',
    ]);
    expect(problems({ ...base, 'ami-id': AMIS['us-east-1'], 'expected-current': partial })).toEqual([
      'expected-current: a JSON map is for amis; with ami-id give one AMI id, or none',
    ]);
  });

  test('expected-current as a map: each region compares against its own entry (none: no parameter)', () => {
    const expected = {
      'us-east-1': 'ami-00000000000000001',
      'eu-west-1': 'none',
      'ap-southeast-2': 'ami-00000000000000003',
    };
    const v = parse({ ...base, amis: JSON.stringify(AMIS), 'expected-current': JSON.stringify(expected) });
    const targets = regionDeployments(v).map((d) => stepOptions(d, { env: () => undefined }).promote.targets);
    expect(targets).toEqual([
      [{ region: 'us-east-1', amiId: AMIS['us-east-1'], expected: 'ami-00000000000000001' }],
      [{ region: 'eu-west-1', amiId: AMIS['eu-west-1'], expected: null }],
      [{ region: 'ap-southeast-2', amiId: AMIS['ap-southeast-2'], expected: 'ami-00000000000000003' }],
    ]);
  });

  test('each region deploys its own AMI in its own region; waves default to one', () => {
    const o = deployOptions(parse({ ...base, amis: JSON.stringify(AMIS) }), { env: () => undefined });
    if (!('regions' in o)) throw new Error('expected the regions plan');
    expect(o.regions.waves).toEqual([Object.keys(AMIS)]);
    expect(o.regions.regions.map((r) => [r.plan.oneOfRegions, r.plan.amiId])).toEqual(Object.entries(AMIS));
    const w = deployOptions(
      parse({ ...base, amis: JSON.stringify(AMIS), 'region-waves': 'us-east-1\neu-west-1,ap-southeast-2' }),
      {
        env: () => undefined,
      },
    );
    if (!('regions' in w)) throw new Error('expected the regions plan');
    expect(w.regions.waves).toEqual([['us-east-1'], ['eu-west-1', 'ap-southeast-2']]);
  });

  test("an events queue is read by its own region's wait only (each reader deletes what it receives)", () => {
    const queue = 'https://sqs.eu-west-1.amazonaws.com/123456789012/refresh-events';
    const regions = regionDeployments(
      parse({ ...base, amis: JSON.stringify(AMIS), 'events-queue-url': queue }),
    );
    expect(regions.map((r) => [r.region, r.eventsQueueUrl])).toEqual([
      ['us-east-1', undefined],
      ['eu-west-1', queue],
      ['ap-southeast-2', undefined],
    ]);
  });
});

/** Each region's steps, faked: every call logged as `<region>:<step>`; `unhealthy` regions fail their wait. */
function fakeRegions(o: { unhealthy?: Region[]; refuse?: Region[]; waves?: Region[][] } = {}) {
  const calls: string[] = [];
  const step = (region: Region): DeploySteps => {
    const promoted = (dryRun: boolean): PromoteResult => ({
      parameterName: '/golden-ami/web',
      dryRun,
      changed: !dryRun,
      regions: [
        {
          region,
          amiId: AMIS[region],
          outcome: 'updated',
          previousAmiId: 'ami-00000000000000001',
          previousVersion: 1,
          ...(dryRun ? {} : { version: 2 }),
          label: {
            name: 'production',
            previousVersion: 1,
            previousAmiId: 'ami-00000000000000001',
            moved: true,
          },
          changed: !dryRun,
          notes: [],
        },
      ],
    });
    const rolled = (dryRun: boolean): RollResult => ({
      dryRun,
      amiIds: { [region]: AMIS[region] },
      asgNames: ['web'],
      groups: [
        {
          region,
          group: 'web',
          status: dryRun ? 'would-refresh' : 'refresh-started',
          imageSource: 'launch-template',
          amiId: AMIS[region],
          template: { id: 'lt-1', requested: '1', previousVersion: 1, version: 2, created: true },
          instances: { total: 2, onAmi: 0 },
          before: {
            source: { LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: '1' } },
            pinned: { LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: '1' } },
          },
        },
      ],
      refreshes: dryRun ? [] : [{ region, group: 'web', refreshId: `r-${region}`, amiId: AMIS[region] }],
    });
    const log = (s: string) => calls.push(`${region}:${s}`);
    return {
      planPromote: async () => (log('plan'), promoted(true)),
      planRoll: async () => {
        if (o.refuse?.includes(region)) throw new Error('group web already has instance refresh r-0');
        return rolled(true);
      },
      promote: async () => (log('label'), promoted(false)),
      roll: async () => (log('roll'), rolled(false)),
      wait: async (ctx) => {
        // The unhealthy region fails at once; the others take a while, and stop when told.
        const bad = o.unhealthy?.includes(region);
        if (!bad)
          await new Promise<void>((res, rej) => {
            const t = setTimeout(res, 30);
            ctx.signal.addEventListener('abort', () => (clearTimeout(t), rej(ctx.signal.reason)), {
              once: true,
            });
          });
        log(bad ? 'unhealthy' : 'proven');
        return {
          status: bad ? 'rolled-back' : 'healthy',
          groups: [],
          failures: bad ? [`${region}/web: unhealthy`] : [],
          startedAt: 0,
          endedAt: 1,
          requests: {},
          maxRequestsPerSecond: 5,
        } satisfies HealthResult;
      },
      settleSources: async () => [],
      putBack: async () => {
        log('put-back');
        const report = new PutBackReport();
        report.touched = true;
        report.done(`${region}: refreshed web back`);
        return report;
      },
      reap: async () => {
        throw new Error('no reap');
      },
    };
  };
  const plan: RegionsPlan = {
    environment: 'production',
    label: 'production',
    dryRun: false,
    reap: false,
    waves: o.waves ?? [Object.keys(AMIS)],
    regions: (Object.keys(AMIS) as Region[]).map((region) => ({
      plan: {
        environment: 'production',
        amiId: AMIS[region],
        parameterName: '/golden-ami/web',
        label: 'production',
        dryRun: false,
        reap: false,
        reapFailure: 'warn',
        rollbackOnFailure: true,
        setDefaultVersion: false,
        journal: new Journal(),
        oneOfRegions: region,
      },
      steps: step(region),
    })),
  };
  return { calls, plan };
}

const ctx = (): ActionContext => ({
  clients: { defaultRegion: 'us-east-1' } as AwsClients,
  clock: fakeClock(),
  log: memoryLog(),
  signal: new AbortController().signal,
});

const failureOf = (p: Promise<unknown>) => p.then(() => undefined).catch((e: unknown) => e as RegionsFailure);
const index = (calls: string[], c: string) => {
  const i = calls.indexOf(c);
  if (i < 0) throw new Error(`${c} was not called: ${calls.join(', ')}`);
  return i;
};

describe('deployRegions', () => {
  test('healthy: every region planned before any change; labels only once every region is proven', async () => {
    const f = fakeRegions();
    const r = await deployRegions(ctx(), f.plan);
    expect(r.status).toBe('healthy');
    const lastPlan = Math.max(...Object.keys(AMIS).map((x) => index(f.calls, `${x}:plan`)));
    const firstChange = Math.min(...Object.keys(AMIS).map((x) => index(f.calls, `${x}:roll`)));
    expect(lastPlan).toBeLessThan(firstChange);
    const lastProven = Math.max(...Object.keys(AMIS).map((x) => index(f.calls, `${x}:proven`)));
    const firstLabel = Math.min(...Object.keys(AMIS).map((x) => index(f.calls, `${x}:label`)));
    expect(lastProven).toBeLessThan(firstLabel);
    const out = deployOutputs(r);
    expect(out.status).toBe('healthy');
    expect(out['previous-ami-id']).toEqual(
      Object.fromEntries(Object.keys(AMIS).map((x) => [x, 'ami-00000000000000001'])),
    );
    expect(out.regions).toHaveLength(3);
  });

  test('a dry run plans every region and changes nothing', async () => {
    const f = fakeRegions();
    const r = await deployRegions(ctx(), { ...f.plan, dryRun: true });
    expect(r.status).toBe('planned');
    expect(f.calls.filter((c) => !c.endsWith(':plan'))).toEqual([]);
  });

  test('a refusal in one region: refused, nothing changed anywhere', async () => {
    const f = fakeRegions({ refuse: ['ap-southeast-2'] });
    const err = await failureOf(deployRegions(ctx(), f.plan));
    expect(err).toBeInstanceOf(RegionsFailure);
    expect(err!.result.status).toBe('refused');
    expect(err!.message).toMatch(/^production in ap-southeast-2: refused before any change/);
    expect(f.calls.filter((c) => !c.endsWith(':plan'))).toEqual([]);
  });

  test('the third region unhealthy: every region put back, no label moved, status rolled-back', async () => {
    const f = fakeRegions({ unhealthy: ['ap-southeast-2'] });
    const err = await failureOf(deployRegions(ctx(), f.plan));
    expect(err!.result.status).toBe('rolled-back');
    expect(f.calls.filter((c) => c.endsWith(':put-back')).sort()).toEqual(
      Object.keys(AMIS)
        .map((x) => `${x}:put-back`)
        .sort(),
    );
    expect(f.calls.filter((c) => c.endsWith(':label'))).toEqual([]);
    // The healthy regions' proof was stopped, not waited out.
    expect(f.calls.filter((c) => c.endsWith(':proven'))).toEqual([]);
    expect(err!.message).toMatch(/^production in ap-southeast-2: .*unhealthy/);
    expect(err!.message).toContain(
      'production in us-east-1: put back, since production in ap-southeast-2 did not end healthy',
    );
    expect(deployOutputs(err!.result).regions.map((x) => x.status)).toEqual([
      'rolled-back',
      'rolled-back',
      'rolled-back',
    ]);
  });

  test('waves: the second wave starts only once the first is proven; a failure there puts the first back too', async () => {
    const waves: Region[][] = [['us-east-1'], ['eu-west-1', 'ap-southeast-2']];
    const ok = fakeRegions({ waves });
    await deployRegions(ctx(), ok.plan);
    expect(index(ok.calls, 'us-east-1:proven')).toBeLessThan(index(ok.calls, 'eu-west-1:roll'));
    expect(index(ok.calls, 'us-east-1:proven')).toBeLessThan(index(ok.calls, 'ap-southeast-2:roll'));

    const bad = fakeRegions({
      waves: [['us-east-1'], ['eu-west-1'], ['ap-southeast-2']],
      unhealthy: ['eu-west-1'],
    });
    const err = await failureOf(deployRegions(ctx(), bad.plan));
    expect(err!.result.status).toBe('rolled-back');
    expect(bad.calls.filter((c) => c.endsWith(':put-back')).sort()).toEqual([
      'eu-west-1:put-back',
      'us-east-1:put-back',
    ]);
    // The third wave never started: nothing changed there, and the outputs say so.
    expect(bad.calls.filter((c) => c.startsWith('ap-southeast-2:') && !c.endsWith(':plan'))).toEqual([]);
    expect(deployOutputs(err!.result).regions.map((x) => x.status)).toEqual([
      'rolled-back',
      'rolled-back',
      'not-started',
    ]);
  });
});
