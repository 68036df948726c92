// deploy-ami across regions (issue 29, from a user-eyed review): the record step and the endings
// around it, through dist/ against localcloud over a three-region estate (regions-estate.ts).
// Every ending short of healthy leaves every observable as before, deregistration protection and a
// parameter the run created included (diffed with every observable); the record compares against
// what the plan read; a cancel is failed wherever it happens; the outputs round-trip as inputs.
import {
  DeleteParameterCommand,
  GetParameterHistoryCommand,
  LabelParameterVersionCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { ActionRun } from '../harness/run-action.js';
import type { Localcloud } from '../localcloud/index.js';
import {
  credentials,
  diffAll,
  ENV,
  estate,
  observeAll,
  PARAM,
  seedParameter,
  story,
  type Images,
  type Region,
} from './regions-estate.js';

jest.setTimeout(600_000);

describe('deploy-ami across regions: the record step and its endings', () => {
  let lc: Localcloud;
  let images: Images;
  let deploy: Awaited<ReturnType<typeof estate>>['deploy'];
  let amisOf: Awaited<ReturnType<typeof estate>>['amisOf'];

  beforeAll(async () => {
    ({ lc, images, deploy, amisOf } = await estate(2929));
  });
  afterAll(async () => {
    await lc.stop();
  });

  const lastSeq = () => lc.logs.mutations.query().at(-1)?.seq ?? 0;
  const mutationsSince = (since: number) =>
    lc.logs.mutations.query({ since }).map((m) => `${m.region} ${m.operation}`);
  const ssm = (region: Region) => new SSMClient({ region, endpoint: lc.url, credentials });

  /** PutParameter refused in ap-southeast-2 while `fn` runs: its record fails once every region is proven. */
  async function recordDenied<T>(fn: () => Promise<T>): Promise<T> {
    const rule = lc.faults.add({
      service: 'ssm',
      operation: 'PutParameter',
      region: 'ap-southeast-2',
      kind: 'error',
      status: 400,
      code: 'AccessDeniedException',
      message: 'not allowed',
    });
    try {
      return await fn();
    } finally {
      lc.faults.remove(rule.id);
    }
  }

  test('duplicate regions in JSON amis are refused as in lines, with no call that changes anything', async () => {
    const since = lastSeq();
    const { base, good } = images['us-east-1'];
    const r = await deploy({
      amis: `{"us-east-1":"${good}","eu-west-1":"${images['eu-west-1'].good}","us-east-1":"${base}"}`,
      'dry-run': true,
    });
    expect(r.outputs.status).toBe('refused');
    expect(r.errors.join('\n')).toMatch(/amis: us-east-1 is given twice/);
    expect(mutationsSince(since)).toEqual([]);
  });

  test('cancelled during the plan: failed (cancelled), nothing changed', async () => {
    const since = lastSeq();
    const hold = lc.faults.add({
      service: 'ec2',
      operation: 'DescribeImages',
      region: 'ap-southeast-2',
      kind: 'hold',
      sequence: 'x',
      latencyMs: 30_000,
    });
    let r: ActionRun;
    try {
      r = await deploy({ amis: amisOf((i) => i.good) }, { cancel: { when: lc.faults.arrived(hold.id) } });
    } finally {
      lc.faults.remove(hold.id);
    }
    expect(r.outputs.status).toBe('failed');
    expect(r.errors.join('\n')).toMatch(/cancelled during the plan, nothing was changed/);
    expect(r.errors.join('\n')).not.toMatch(/refused/);
    expect(mutationsSince(since)).toEqual([]);
  });

  test('expected-current as a JSON map with amis: one region holding another AMI refuses the whole plan; matching, it plans', async () => {
    const since = lastSeq();
    const holds = Object.fromEntries(
      (['us-east-1', 'eu-west-1', 'ap-southeast-2'] as const).map((g) => [g, images[g].base]),
    );
    const wrong = { ...holds, 'eu-west-1': images['eu-west-1'].good };
    const r = await deploy({ amis: amisOf((i) => i.good), 'expected-current': JSON.stringify(wrong) });
    expect(r.outputs.status).toBe('refused');
    expect(r.errors.join('\n')).toMatch(
      /compare-and-swap conflict: \/golden-ami\/web in eu-west-1 holds ami-\w+ \(version \d+\), expected-current is ami-/,
    );
    expect(mutationsSince(since)).toEqual([]);
    const ok = await deploy({
      amis: amisOf((i) => i.good),
      'expected-current': JSON.stringify(holds),
      'dry-run': true,
    });
    expect(ok.outputs.status).toBe('planned');
  });

  test("the last region's record refused: every region as before, deregistration protection too; the line says what was put back", async () => {
    const before = await observeAll(lc);
    const r = await recordDenied(() => deploy({ amis: amisOf((i) => i.good) }));
    const after = await observeAll(lc, true);
    expect({ status: r.outputs.status, diff: diffAll(before, after) }).toEqual({
      status: 'rolled-back',
      diff: [],
    });
    const line = r.errors.join('\n');
    expect(line).not.toMatch(/no region was changed/);
    expect(line).toMatch(
      /production in ap-southeast-2: the fleet ran ami-\w+, proven healthy, but recording it as production failed: .*not allowed.*; \/golden-ami\/web in ap-southeast-2 was not written; restored: .*refreshed back/,
    );
  });

  test('cancelled while the last region labels (SIGINT, then the post step): every region as before, deregistration protection too', async () => {
    const before = await observeAll(lc);
    const since = lastSeq();
    const hold = lc.faults.add({
      service: 'ssm',
      operation: 'LabelParameterVersion',
      region: 'ap-southeast-2',
      kind: 'hold',
      sequence: 'x',
      latencyMs: 30_000,
    });
    const arrived = lc.faults.arrived(hold.id);
    void arrived.then(() => setTimeout(() => lc.faults.release(hold.id), 300));
    let r: ActionRun;
    try {
      r = await deploy(
        { amis: amisOf((i) => i.newer) },
        {
          cancel: { when: arrived },
          // The call in flight lands within the seconds before the post step, as AWS applies a
          // request it received (this machine's load must not delay it past the post step's look).
          beforePost: async () => {
            lc.faults.release(hold.id);
            const landed = () =>
              lc.logs.mutations
                .query({ since, operation: 'LabelParameterVersion' })
                .some((m) => m.region === 'ap-southeast-2');
            for (let i = 0; i < 100 && !landed(); i++) await new Promise((res) => setTimeout(res, 30));
          },
        },
      );
    } finally {
      lc.faults.remove(hold.id);
    }
    const after = await observeAll(lc, true);
    expect({ status: r.outputs.status, diff: diffAll(before, after) }).toEqual({
      status: 'failed',
      diff: [],
    });
    expect(r.errors.join('\n')).not.toMatch(/no region was changed/);
  });

  test("another writer labels eu-west-1 between our plan and our record: refused, put back everywhere, the other writer's label stands", async () => {
    const before = await observeAll(lc);
    const other = images['eu-west-1'].good;
    const since = lastSeq();
    const run = deploy({ amis: amisOf((i) => i.newer) });
    let done = false;
    void run.finally(() => (done = true));
    let wrote = false;
    while (!done && !wrote) {
      const started = lc.logs.mutations
        .query({ since, operation: 'StartInstanceRefresh' })
        .some((m) => m.region === 'eu-west-1');
      if (started) {
        const c = ssm('eu-west-1');
        const put = await c.send(
          new PutParameterCommand({
            Name: PARAM,
            Value: other,
            Type: 'String',
            DataType: 'aws:ec2:image',
            Overwrite: true,
          }),
        );
        await new Promise((res) => setTimeout(res, lc.world.durations.ssmValidation + 50));
        await c.send(
          new LabelParameterVersionCommand({ Name: PARAM, ParameterVersion: put.Version, Labels: [ENV] }),
        );
        c.destroy();
        wrote = true;
      } else await new Promise((res) => setTimeout(res, 30));
    }
    const r = await run;
    expect(wrote).toBe(true);
    const after = await observeAll(lc, true);
    expect(r.outputs.status).toBe('rolled-back');
    expect(r.errors.join('\n')).toMatch(
      /compare-and-swap conflict: \/golden-ami\/web in eu-west-1 moved since the plan/,
    );
    // Only the other writer's record differs: its value and label, in eu-west-1.
    expect(diffAll(before, after).filter((d) => !/^eu-west-1: parameters\./.test(d))).toEqual([]);
    expect(after['eu-west-1'].parameters[PARAM]).toMatchObject({
      value: other,
      labels: { [ENV]: { value: other } },
    });
    // What the label was on when we planned, not the other writer's AMI.
    expect(JSON.parse(r.outputs['previous-ami-id']!)).toEqual(
      Object.fromEntries(
        (['us-east-1', 'eu-west-1', 'ap-southeast-2'] as const).map((g) => [g, images[g].base]),
      ),
    );
    // eu-west-1 back as it began, for the tests after this one.
    await seedParameterBack('eu-west-1');
  }, 600_000);

  /** Deletes the parameter in `region` and seeds it again on the base AMI, labelled. */
  async function seedParameterBack(region: Region): Promise<void> {
    const c = ssm(region);
    await c.send(new DeleteParameterCommand({ Name: PARAM }));
    c.destroy();
    await seedParameter(lc, region, images[region].base);
  }

  test('a region without the parameter, another region failing its record: the parameter this run created is deleted again', async () => {
    const c = ssm('eu-west-1');
    await c.send(new DeleteParameterCommand({ Name: PARAM }));
    const before = await observeAll(lc);
    expect(before['eu-west-1'].parameters[PARAM]).toBeNull();
    const r = await recordDenied(() => deploy({ amis: amisOf((i) => i.good), 'allow-older': true }));
    const after = await observeAll(lc, true);
    expect({ status: r.outputs.status, diff: diffAll(before, after) }).toEqual({
      status: 'rolled-back',
      diff: [],
    });
    expect(r.errors.join('\n')).toMatch(/\/golden-ami\/web deleted again \(this run created it\)/);
    await expect(c.send(new GetParameterHistoryCommand({ Name: PARAM }))).rejects.toThrow(
      /ParameterNotFound|not found/i,
    );
    c.destroy();
  });

  test("previous-ami-id leaves out a region that ran no AMI, and passed back as amis it plans (the README's rollback recipe)", async () => {
    // eu-west-1 still has no parameter (the test before): its previous AMI is none.
    const first = await deploy({ amis: amisOf((i) => i.good), 'allow-older': true, 'dry-run': true });
    expect(first.outputs.status).toBe('planned');
    const previous = JSON.parse(first.outputs['previous-ami-id']!) as Record<string, string>;
    expect(previous).toEqual({
      'us-east-1': images['us-east-1'].base,
      'ap-southeast-2': images['ap-southeast-2'].base,
    });
    const regions = JSON.parse(first.outputs.regions!) as { region: string; 'previous-ami-id': string }[];
    expect(regions.find((x) => x.region === 'eu-west-1')?.['previous-ami-id']).toBe('');
    const back = await deploy({
      amis: first.outputs['previous-ami-id']!,
      'allow-older': true,
      'dry-run': true,
    });
    expect({
      status: back.outputs.status,
      story: back.outputs.status === 'planned' ? '' : story(back),
    }).toEqual({
      status: 'planned',
      story: '',
    });
  });
  test('healthy: deregistration protection turned on once every region is recorded, for the AMIs recorded as production', async () => {
    const before = await observeAll(lc);
    const r = await deploy({ amis: amisOf((i) => i.newer), 'allow-older': true });
    expect(r.outputs.status).toBe('healthy');
    const after = await observeAll(lc);
    const protection = diffAll(before, after).filter((d) => /: protection\./.test(d));
    expect(protection).toEqual(
      (['us-east-1', 'eu-west-1', 'ap-southeast-2'] as const).map(
        (g) => `${g}: protection.${g}/${images[g].newer}: (absent) → "enabled-with-cooldown"`,
      ),
    );
    // The protection is the last call of the run that changes anything.
    const ops = lc.logs.mutations.query().map((m) => m.operation);
    expect(ops.slice(-3)).toEqual(Array(3).fill('EnableImageDeregistrationProtection'));
  });
  test('a region whose Describe calls hang: timeout bounds the wait (a read in flight aborts at the deadline), every region put back', async () => {
    const before = await observeAll(lc);
    const since = lastSeq();
    let rule: { id: number } | undefined;
    let removed = false;
    // ap-southeast-2's Auto Scaling reads answer after 45 s once its refreshes start; the put-back's
    // first refresh back (a seventh StartInstanceRefresh) ends the fault, so only the wait meets it.
    const timer = setInterval(() => {
      const starts = lc.logs.mutations.query({ since, operation: 'StartInstanceRefresh' });
      if (!rule && starts.some((m) => m.region === 'ap-southeast-2'))
        rule = lc.faults.add({
          service: 'autoscaling',
          operation: 'Describe*',
          region: 'ap-southeast-2',
          kind: 'latency',
          latencyMs: 45_000,
        });
      if (rule && !removed && starts.length > 6) {
        lc.faults.remove(rule.id);
        removed = true;
      }
    }, 20);
    const started = Date.now();
    let r: ActionRun;
    try {
      r = await deploy({ amis: amisOf((i) => i.good), 'allow-older': true, timeout: '1m' });
    } finally {
      clearInterval(timer);
      if (rule && !removed) lc.faults.remove(rule.id);
    }
    const took = Date.now() - started;
    const after = await observeAll(lc, true);
    expect({ status: r.outputs.status, diff: diffAll(before, after) }).toEqual({
      status: 'timed-out',
      diff: [],
    });
    expect(r.log).toMatch(/ap-southeast-2: .*no answer by the deadline \(timeout\)/);
    // The wait ended within a call's grace of its minute, not a 45-second call (or several) later.
    expect(took).toBeLessThan(180_000);
  });
});
