// promote-ami-parameter end to end: the built bundle, run as the runner runs it, against
// localcloud's SSM (asynchronous aws:ec2:image validation) and EC2. Assertions are on the
// parameter's history as SSM reports it, and on localcloud's mutation log.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { GetParameterHistoryCommand, ListTagsForResourceCommand, SSMClient } from '@aws-sdk/client-ssm';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../harness/action-metadata.js';
import { localcloudEnv, runActionStep, type ActionRun } from '../harness/run-action.js';
import { start, type Localcloud } from '../localcloud/index.js';
import { seedImage } from '../localcloud/seed.js';

// Each step is a node process; a test runs several.
jest.setTimeout(60_000);

let lc: Localcloud;
const clients = new Map<string, SSMClient>();

beforeAll(async () => {
  if (!existsSync(join(repoRoot, 'dist/promote-ami-parameter/index.js')))
    throw new Error('dist/promote-ami-parameter/index.js is missing: run `npm run build` first');
  lc = await start({ durations: { ssmValidation: 200 } });
});

afterAll(async () => {
  for (const c of clients.values()) c.destroy();
  await lc.stop();
});

let counter = 0;
/** Each test works on its own parameter, so tests never see each other's versions. */
const freshName = () => `/golden-ami/e2e/web-${++counter}`;

/** An AMI owned by the account in `region`, created at `created` (ISO). */
function ami(region: string, created: string, state: 'available' | 'pending' = 'available'): string {
  const image = seedImage(lc.world.region(region), { name: `web-${created}`, state });
  image.creationDate = Date.parse(created);
  // A pending image stays pending for the whole test.
  if (state === 'pending') image.nextAt = lc.world.clock.now() + 10 * 60_000;
  return image.imageId;
}

function ssm(region: string): SSMClient {
  let c = clients.get(region);
  if (!c) {
    const env = localcloudEnv(lc.url, region);
    c = new SSMClient({
      region,
      endpoint: lc.url,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
    });
    clients.set(region, c);
  }
  return c;
}

/** The parameter's history as "version:value[labels]", oldest first; [] when it does not exist. */
async function history(name: string, region = 'us-east-1'): Promise<string[]> {
  try {
    const out = await ssm(region).send(new GetParameterHistoryCommand({ Name: name, MaxResults: 50 }));
    return (out.Parameters ?? []).map(
      (p) => `${p.Version}:${p.Value}${p.Labels?.length ? `[${p.Labels.join(',')}]` : ''}`,
    );
  } catch (err) {
    if ((err as Error).name === 'ParameterNotFound') return [];
    throw err;
  }
}

function ssmMutationsSince(seq: number) {
  return lc.logs.mutations.query({ service: 'ssm', since: seq });
}

const lastMutationSeq = () => lc.logs.mutations.query().at(-1)?.seq ?? 0;

function promoteStep(inputs: Record<string, string>, region = 'us-east-1'): Promise<ActionRun> {
  return runActionStep('promote-ami-parameter', {
    inputs: { 'poll-interval': '100ms', 'validation-timeout': '30s', ...inputs },
    env: localcloudEnv(lc.url, region),
    timeoutMs: 60_000,
  });
}

const JAN = '2025-01-10T00:00:00.000Z';
const FEB = '2025-02-10T00:00:00.000Z';
const MAR = '2025-03-10T00:00:00.000Z';

describe('promote-ami-parameter (dist, localcloud)', () => {
  it('creates the parameter as aws:ec2:image with tags, and reports the new version', async () => {
    const name = freshName();
    const a = ami('us-east-1', JAN);
    const r = await promoteStep({
      'parameter-name': name,
      'ami-id': a,
      tags: 'team=web\nrelease=42',
      description: 'web',
    });
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.outputs).toEqual({ 'previous-ami-id': '', version: '1', changed: 'true' });
    expect(await history(name)).toEqual([`1:${a}`]);
    const tags = await ssm('us-east-1').send(
      new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: name }),
    );
    expect(tags.TagList).toEqual(
      expect.arrayContaining([
        { Key: 'team', Value: 'web' },
        { Key: 'release', Value: '42' },
      ]),
    );
    expect(r.summary).toContain(`| us-east-1 | — | \`${a}\` (v1) |  | created |`);
    // The read-back polled the pending version at least once, one line per poll.
    expect(r.log).toMatch(/read-back 1: version 1 .* not validated yet/);
  });

  it('updates, moves the label, and is a no-op the second time', async () => {
    const name = freshName();
    const a = ami('us-east-1', JAN);
    const b = ami('us-east-1', FEB);
    expect((await promoteStep({ 'parameter-name': name, 'ami-id': a, label: 'staging' })).exitCode).toBe(0);
    const update = await promoteStep({ 'parameter-name': name, 'ami-id': b, label: 'staging' });
    expect(update.exitCode).toBe(0);
    expect(update.outputs).toEqual({ 'previous-ami-id': a, version: '2', changed: 'true' });
    expect(await history(name)).toEqual([`1:${a}`, `2:${b}[staging]`]);
    expect(update.summary).toContain(
      `| us-east-1 | \`${a}\` (v1) | \`${b}\` (v2) | staging: v1 → v2 | updated |`,
    );

    const since = lastMutationSeq();
    const again = await promoteStep({ 'parameter-name': name, 'ami-id': b, label: 'staging' });
    expect(again.exitCode).toBe(0);
    expect(again.outputs).toEqual({ 'previous-ami-id': b, version: '2', changed: 'false' });
    expect(await history(name)).toEqual([`1:${a}`, `2:${b}[staging]`]);
    expect(ssmMutationsSince(since)).toEqual([]);
  });

  it('compare-and-swap: a stale expected-current fails and changes nothing; a matching one writes', async () => {
    const name = freshName();
    const a = ami('us-east-1', JAN);
    const b = ami('us-east-1', FEB);
    const c = ami('us-east-1', MAR);
    await promoteStep({ 'parameter-name': name, 'ami-id': a });
    await promoteStep({ 'parameter-name': name, 'ami-id': b });
    const since = lastMutationSeq();
    const stale = await promoteStep({ 'parameter-name': name, 'ami-id': c, 'expected-current': a });
    expect(stale.exitCode).toBe(1);
    expect(stale.errors.join()).toMatch(
      new RegExp(
        `compare-and-swap conflict: ${name} in us-east-1 holds ${b} \\(version 2\\), expected-current is ${a}; no region was changed`,
      ),
    );
    expect(ssmMutationsSince(since)).toEqual([]);
    expect(await history(name)).toEqual([`1:${a}`, `2:${b}`]);

    const fresh = await promoteStep({ 'parameter-name': name, 'ami-id': c, 'expected-current': b });
    expect(fresh.exitCode).toBe(0);
    expect(await history(name)).toEqual([`1:${a}`, `2:${b}`, `3:${c}`]);
  });

  it('refuses an older AMI, and rolls back when allow-older says so', async () => {
    const name = freshName();
    const a = ami('us-east-1', JAN);
    const b = ami('us-east-1', FEB);
    await promoteStep({ 'parameter-name': name, 'ami-id': a, label: 'prod' });
    await promoteStep({ 'parameter-name': name, 'ami-id': b, label: 'prod' });
    const since = lastMutationSeq();
    const refused = await promoteStep({ 'parameter-name': name, 'ami-id': a, label: 'prod' });
    expect(refused.exitCode).toBe(1);
    expect(refused.errors.join()).toMatch(
      new RegExp(`${a} \\(created ${JAN}\\) is older than ${b}.*allow-older: true`),
    );
    expect(ssmMutationsSince(since)).toEqual([]);
    expect(await history(name)).toEqual([`1:${a}`, `2:${b}[prod]`]);

    const rollback = await promoteStep({
      'parameter-name': name,
      'ami-id': a,
      label: 'prod',
      'allow-older': 'true',
    });
    expect(rollback.exitCode).toBe(0);
    expect(rollback.outputs).toEqual({ 'previous-ami-id': b, version: '3', changed: 'true' });
    expect(await history(name)).toEqual([`1:${a}`, `2:${b}`, `3:${a}[prod]`]);
    expect(rollback.summary).toContain('rolled back (allow-older)');
  });

  it('writes the right AMI per region from amis, with JSON outputs', async () => {
    const name = freshName();
    const us = ami('us-east-1', FEB);
    const eu = ami('eu-west-1', FEB);
    const ap = ami('ap-southeast-2', FEB);
    const amis = JSON.stringify({ 'us-east-1': us, 'eu-west-1': eu, 'ap-southeast-2': ap });
    const r = await promoteStep({
      'parameter-name': name,
      amis,
      regions: 'us-east-1, eu-west-1',
      label: 'prod',
    });
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.outputs.version!)).toEqual({ 'us-east-1': 1, 'eu-west-1': 1 });
    expect(JSON.parse(r.outputs['previous-ami-id']!)).toEqual({ 'us-east-1': '', 'eu-west-1': '' });
    expect(await history(name, 'us-east-1')).toEqual([`1:${us}[prod]`]);
    expect(await history(name, 'eu-west-1')).toEqual([`1:${eu}[prod]`]);
    expect(await history(name, 'ap-southeast-2')).toEqual([]);
  });

  it.each([
    [
      'does not exist',
      () => ({ 'ami-id': 'ami-0123456789abcdef0' }),
      /ami-0123456789abcdef0 does not exist in us-east-1/,
    ],
    [
      'is pending',
      () => ({ 'ami-id': ami('us-east-1', MAR, 'pending') }),
      /in us-east-1 is pending, not available/,
    ],
    [
      'is in another region',
      () => ({
        amis: JSON.stringify({ 'us-east-1': ami('us-east-1', MAR), 'eu-west-1': ami('us-east-1', MAR) }),
      }),
      /failed in eu-west-1: ami-\w+ does not exist in eu-west-1/,
    ],
  ])('an AMI that %s fails before anything is written', async (_what, inputs, message) => {
    const name = freshName();
    const given = inputs();
    const since = lastMutationSeq();
    const r = await promoteStep({ 'parameter-name': name, ...given });
    expect(r.exitCode).toBe(1);
    expect(r.errors.join()).toMatch(message);
    expect(r.errors.join()).toMatch(/no region was changed/);
    expect(ssmMutationsSince(since)).toEqual([]);
    expect(await history(name)).toEqual([]);
  });

  it('dry run prints the plan and writes nothing', async () => {
    const name = freshName();
    const a = ami('us-east-1', JAN);
    const since = lastMutationSeq();
    const r = await promoteStep({ 'parameter-name': name, 'ami-id': a, 'dry-run': 'true' });
    expect(r.exitCode).toBe(0);
    expect(r.outputs.changed).toBe('false');
    expect(r.summary).toContain('Dry run: nothing was written.');
    expect(r.summary).toContain('would create');
    expect(ssmMutationsSince(since)).toEqual([]);
  });

  it('rides out throttled reads', async () => {
    const name = freshName();
    const a = ami('us-east-1', JAN);
    const rule = lc.faults.add({
      service: 'ssm',
      operation: 'GetParameter',
      kind: 'throttle',
      sequence: '.xx.x',
    });
    try {
      const r = await promoteStep({ 'parameter-name': name, 'ami-id': a });
      expect(rule.fired).toBe(3);
      expect(r.errors).toEqual([]);
      expect(r.exitCode).toBe(0);
      expect(await history(name)).toEqual([`1:${a}`]);
    } finally {
      lc.faults.remove(rule.id);
    }
  });

  it('a parameter of another data type is a clear error', async () => {
    const name = freshName();
    const { seedParameter } = await import('../localcloud/aws/ssm-parameters.js');
    seedParameter(lc.world.region('us-east-1'), name, 'hello');
    const r = await promoteStep({ 'parameter-name': name, 'ami-id': ami('us-east-1', JAN) });
    expect(r.exitCode).toBe(1);
    expect(r.errors.join()).toMatch(/data type text; SSM cannot convert it to aws:ec2:image/);
  });

  it.each([
    ['the older one starts first', 'older'],
    ['the newer one starts first', 'newer'],
  ])(
    'two promotions racing on one parameter never leave the older AMI current (%s)',
    async (_what, first) => {
      const name = freshName();
      const base = ami('us-east-1', JAN);
      const older = ami('us-east-1', FEB);
      const newer = ami('us-east-1', MAR);
      await promoteStep({ 'parameter-name': name, 'ami-id': base, label: 'prod' });
      // Slow writes: both workflows check the parameter (version 1) before either write lands.
      const slow = lc.faults.add({
        service: 'ssm',
        operation: 'PutParameter',
        kind: 'latency',
        latencyMs: 1500,
      });
      try {
        const step = (amiId: string) =>
          promoteStep({ 'parameter-name': name, 'ami-id': amiId, label: 'prod' });
        const [a, b] = first === 'older' ? [older, newer] : [newer, older];
        const runA = step(a);
        await new Promise((resolve) => setTimeout(resolve, 300));
        const runB = step(b);
        const [ra, rb] = await Promise.all([runA, runB]);
        const [rOlder, rNewer] = first === 'older' ? [ra, rb] : [rb, ra];
        expect(rNewer.errors).toEqual([]);
        expect(rNewer.exitCode).toBe(0);
        const versions = await history(name);
        const current = versions.at(-1)!;
        // The newer AMI is current and carries the label, whichever write landed last.
        expect(current.split(':')[1]).toMatch(new RegExp(`^${newer}`));
        expect(versions.find((v) => v.includes('[prod]'))).toMatch(new RegExp(`:${newer}\\[prod\\]$`));
        if (rOlder.exitCode === 0) {
          // The older write landed first: the newer one replaced it.
          expect(versions.slice(1)).toEqual([`2:${older}`, `3:${newer}[prod]`]);
        } else {
          // The older write landed last: it saw the newer one, put it back and said so.
          expect(rOlder.errors.join()).toMatch(
            new RegExp(
              `a concurrent promotion wrote ${newer} as version 2 while this one wrote ${older} as version 3 .*older than.*restored ${newer} as version 4; us-east-1 does not hold ${older}`,
            ),
          );
          expect(versions.slice(1)).toEqual([`2:${newer}`, `3:${older}`, `4:${newer}[prod]`]);
        }
      } finally {
        lc.faults.remove(slow.id);
      }
    },
  );

  it('a region failing part-way reports exactly which regions changed', async () => {
    const name = freshName();
    const us = ami('us-east-1', FEB);
    const eu = ami('eu-west-1', FEB);
    const down = lc.faults.add({
      service: 'ssm',
      operation: 'PutParameter',
      region: 'eu-west-1',
      kind: 'error',
      status: 500,
    });
    try {
      const r = await promoteStep({
        'parameter-name': name,
        amis: JSON.stringify({ 'us-east-1': us, 'eu-west-1': eu }),
      });
      expect(r.exitCode).toBe(1);
      expect(r.errors.join()).toMatch(
        new RegExp(
          `failed in eu-west-1: writing ${eu} to ${name} in eu-west-1: .*; changed: us-east-1 \\(new -> ${us}, version 1\\)`,
        ),
      );
      expect(JSON.parse(r.outputs.version!)).toEqual({ 'us-east-1': 1 });
      expect(r.summary).toContain(`| us-east-1 | — | \`${us}\` (v1) |  | created |`);
      expect(await history(name, 'us-east-1')).toEqual([`1:${us}`]);
      expect(await history(name, 'eu-west-1')).toEqual([]);
    } finally {
      lc.faults.remove(down.id);
    }
  });

  it('cancelled while SSM validates, it says the version was sent', async () => {
    const name = freshName();
    const a = ami('us-east-1', JAN);
    const normal = lc.world.durations.ssmValidation;
    lc.world.durations.ssmValidation = 3_000;
    try {
      const r = await runActionStep('promote-ami-parameter', {
        inputs: { 'parameter-name': name, 'ami-id': a, 'poll-interval': '100ms' },
        env: localcloudEnv(lc.url),
        cancel: { whenOutput: /read-back 1:/ },
        timeoutMs: 60_000,
      });
      expect(r.exitCode).not.toBe(0);
      expect(r.errors.join()).toMatch(
        /cancelled while SSM validated version 1 .*us-east-1: version 1 was sent and becomes current if SSM accepts it/,
      );
    } finally {
      lc.world.durations.ssmValidation = normal;
    }
  });
});
