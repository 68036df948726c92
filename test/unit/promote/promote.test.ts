import { AbortedError, ActionFailure } from '../../../src/core/errors.js';
import { PartialPromotion, promote, PromotionError } from '../../../src/promote/promote.js';
import type { PromoteOptions } from '../../../src/promote/types.js';
import { startPromoteCloud, type PromoteCloud } from './cloud.js';
import { promotion } from './promotion.js';

const NAME = '/golden-ami/web';
const OLD = 'ami-0000000000000000a';
const NEW = 'ami-0000000000000000b';
const NEWER = 'ami-0000000000000000c';
const US = 'us-east-1';
const EU = 'eu-west-1';

const options = (over: Partial<PromoteOptions> = {}): PromoteOptions =>
  promotion([{ region: US, amiId: NEW }], over);

let cloud: PromoteCloud;
let controller: AbortController;
let ctx: ReturnType<PromoteCloud['context']>;

beforeAll(async () => {
  cloud = await startPromoteCloud();
});
afterAll(() => cloud.stop());
beforeEach(() => {
  cloud.reset();
  for (const r of [US, EU]) {
    cloud.seedImage(r, OLD, '2024-01-01T00:00:00.000Z');
    cloud.seedImage(r, NEW, '2024-02-01T00:00:00.000Z');
    cloud.seedImage(r, NEWER, '2024-03-01T00:00:00.000Z');
  }
  controller = new AbortController();
  ctx = cloud.context(controller.signal);
});

const history = (region = US) => cloud.historyOf(region, NAME);
/** Every state-changing call localcloud received in `region`, refused ones too (seeds are not calls). */
const writes = (region: string) =>
  cloud
    .calls({ region })
    .filter((c) => !/^(Get|Describe|List)/.test(c.operation))
    .map((c) => c.operation);
const seed = (values: string[], opts?: Parameters<PromoteCloud['seed']>[3], region = US) =>
  cloud.seed(region, NAME, values, opts);

describe('promote: writing', () => {
  it('creates a missing parameter as aws:ec2:image with its tags and waits for validation', async () => {
    const result = await promote(ctx, options({ tags: { team: 'web' }, description: 'web AMI' }));
    expect(history()).toEqual([`1:${NEW}`]);
    const p = cloud.parameter(US, NAME)!;
    expect(p).toMatchObject({ dataType: 'aws:ec2:image', tags: [{ Key: 'team', Value: 'web' }] });
    expect(p.tags).toHaveLength(1);
    expect(p.versions.at(-1)!.description).toBe('web AMI');
    expect(result.regions).toEqual([
      expect.objectContaining({ outcome: 'created', version: 1, previousAmiId: undefined, changed: true }),
    ]);
    expect(result.changed).toBe(true);
    // The read-back polled while the version was pending, logging each poll.
    expect(ctx.log.lines.some((l) => l.includes('read-back 1:') && l.includes('not validated yet'))).toBe(
      true,
    );
  });

  it('updates an existing parameter and adds tags to it', async () => {
    seed([OLD]);
    const result = await promote(ctx, options({ tags: { release: '42' } }));
    expect(history()).toEqual([`1:${OLD}`, `2:${NEW}`]);
    expect(cloud.parameter(US, NAME)!.tags).toEqual([{ Key: 'release', Value: '42' }]);
    expect(result.regions[0]).toMatchObject({
      outcome: 'updated',
      previousAmiId: OLD,
      previousVersion: 1,
      version: 2,
    });
  });

  it('moves the label to the new version', async () => {
    seed([OLD], { labels: { staging: 1 } });
    const result = await promote(ctx, options({ label: 'staging' }));
    expect(history()).toEqual([`1:${OLD}`, `2:${NEW}[staging]`]);
    expect(result.regions[0]!.label).toEqual({
      name: 'staging',
      previousVersion: 1,
      previousAmiId: OLD,
      moved: true,
    });
  });

  it('is a no-op when the AMI is already current: no new version, changed=false', async () => {
    seed([OLD, NEW], { labels: { prod: 2 } });
    const result = await promote(ctx, options({ label: 'prod' }));
    expect(history()).toEqual([`1:${OLD}`, `2:${NEW}[prod]`]);
    expect(writes(US)).toEqual([]);
    expect(result.regions[0]).toMatchObject({ outcome: 'unchanged', version: 2, changed: false });
    expect(result.changed).toBe(false);
  });

  it('moves only the label when the AMI is current but the label is elsewhere', async () => {
    seed([OLD, NEW], { labels: { prod: 1 } });
    const result = await promote(ctx, options({ label: 'prod' }));
    expect(history()).toEqual([`1:${OLD}`, `2:${NEW}[prod]`]);
    expect(result.regions[0]).toMatchObject({ outcome: 'unchanged', version: 2, changed: true });
  });

  it('rolls back to an older AMI only with allowOlder', async () => {
    seed([NEW, NEWER]);
    await expect(promote(ctx, options())).rejects.toThrow(
      /older than ami-0000000000000000c.*allow-older: true/,
    );
    expect(history()).toEqual([`1:${NEW}`, `2:${NEWER}`]);
    const result = await promote(ctx, options({ allowOlder: true }));
    expect(result.regions[0]).toMatchObject({ outcome: 'rolled-back', previousAmiId: NEWER, version: 3 });
    expect(history()).toEqual([`1:${NEW}`, `2:${NEWER}`, `3:${NEW}`]);
  });

  it("judges 'older' against the label's AMI: a newer nightly does not turn a forward deploy into a rollback", async () => {
    // prod runs OLD; a nightly wrote NEWER since. NEW is a forward deploy for prod.
    seed([OLD, NEWER], { labels: { prod: 1, nightly: 2 } });
    const result = await promote(ctx, options({ label: 'prod' }));
    expect(result.regions[0]).toMatchObject({ outcome: 'updated', previousAmiId: NEWER, version: 3 });
    expect(history()).toEqual([`1:${OLD}`, `2:${NEWER}[nightly]`, `3:${NEW}[prod]`]);
  });

  it("refuses an AMI older than the label's, naming the label, even when the newest value is older", async () => {
    seed([NEWER, OLD], { labels: { prod: 1 } });
    await expect(promote(ctx, options({ label: 'prod' }))).rejects.toThrow(
      /older than ami-0000000000000000c .*which label prod of \/golden-ami\/web in us-east-1 is on \(version 1\); set allow-older: true/,
    );
    expect(history()).toEqual([`1:${NEWER}[prod]`, `2:${OLD}`]);
  });

  it('a label on no version yet: the age is judged against the newest value, as allow-older says', async () => {
    seed([NEWER], { labels: { nightly: 1 } });
    await expect(promote(ctx, options({ label: 'prod' }))).rejects.toThrow(
      /older than ami-0000000000000000c .*current in \/golden-ami\/web in us-east-1 \(label prod is on no version yet, so the newest value counts\); set allow-older: true/,
    );
    expect(history()).toEqual([`1:${NEWER}[nightly]`]);
  });

  it('a label on no version yet: an AMI newer than the newest value is recorded', async () => {
    seed([OLD], { labels: { nightly: 1 } });
    const result = await promote(ctx, options({ label: 'prod' }));
    expect(result.regions[0]).toMatchObject({ outcome: 'updated', version: 2 });
    expect(history()).toEqual([`1:${OLD}[nightly]`, `2:${NEW}[prod]`]);
  });

  it('promotes over a current AMI that no longer exists, with a warning', async () => {
    seed(['ami-0000000000000dead']);
    const result = await promote(ctx, options());
    expect(history()).toEqual(['1:ami-0000000000000dead', `2:${NEW}`]);
    expect(result.regions[0]!.notes.join()).toMatch(/no longer exists/);
    expect(ctx.log.lines.some((l) => l.startsWith('warning:') && l.includes('no longer exists'))).toBe(true);
  });
});

describe('promote: refusals change nothing', () => {
  it('compare-and-swap conflict', async () => {
    seed([OLD]);
    const err = await promote(
      ctx,
      options({ targets: [{ region: 'us-east-1', amiId: NEW, expected: NEWER }] }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PromotionError);
    expect((err as Error).message).toMatch(
      /compare-and-swap conflict.*holds ami-0000000000000000a \(version 1\).*no region was changed/,
    );
    expect(writes(US)).toEqual([]);
  });

  it('compare-and-swap succeeds when the current value matches, and expected none requires absence', async () => {
    await promote(ctx, options({ targets: [{ region: 'us-east-1', amiId: OLD, expected: null }] }));
    await expect(
      promote(ctx, options({ targets: [{ region: 'us-east-1', amiId: NEW, expected: null }] })),
    ).rejects.toThrow(/holds ami-0000000000000000a \(version 1\), expected-current is no parameter/);
    await promote(ctx, options({ targets: [{ region: 'us-east-1', amiId: NEW, expected: OLD }] }));
    expect(history()).toEqual([`1:${OLD}`, `2:${NEW}`]);
  });

  it.each([
    ['does not exist', 'ami-00000000000000999', 'available', /does not exist in us-east-1/],
    ['is pending', 'ami-00000000000000777', 'pending', /is pending, not available/],
  ])('an AMI that %s fails before any write', async (_what, ami, state, message) => {
    if (state === 'pending') cloud.seedImage(US, ami, '2024-05-01T00:00:00.000Z', 'pending');
    seed([OLD]);
    await expect(promote(ctx, options({ targets: [{ region: 'us-east-1', amiId: ami }] }))).rejects.toThrow(
      message,
    );
    expect(writes(US)).toEqual([]);
  });

  it('an AMI of another region fails before any region is written', async () => {
    const onlyInUs = 'ami-000000000000000e1';
    cloud.seedImage(US, onlyInUs, '2024-05-01T00:00:00.000Z');
    const targets = [
      { region: 'us-east-1', amiId: NEW },
      { region: 'eu-west-1', amiId: onlyInUs },
    ];
    await expect(promote(ctx, options({ targets }))).rejects.toThrow(
      /failed in eu-west-1: ami-000000000000000e1 does not exist in eu-west-1.*no region was changed/,
    );
    expect(writes(US)).toEqual([]);
    expect(writes(EU)).toEqual([]);
  });

  it('a parameter of another data type cannot be converted', async () => {
    seed(['hello'], { dataType: 'text' });
    await expect(promote(ctx, options())).rejects.toThrow(
      /data type text; SSM cannot convert it to aws:ec2:image/,
    );
    expect(writes(US)).toEqual([]);
  });

  it('reports a label that keeps the 100-version history from advancing', async () => {
    seed(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? OLD : NEW))
        .slice(0, 99)
        .concat(OLD),
      {
        labels: { ancient: 1 },
      },
    );
    await expect(promote(ctx, options())).rejects.toThrow(
      /has 100 versions and the oldest, version 1, carries label ancient: SSM would refuse a new version/,
    );
    expect(writes(US)).toEqual([]);
  });

  it('dry run plans without writing', async () => {
    seed([OLD], { labels: { prod: 1 } });
    const result = await promote(ctx, options({ dryRun: true, label: 'prod' }));
    expect(writes(US)).toEqual([]);
    expect(result).toMatchObject({ dryRun: true, changed: false });
    expect(result.regions[0]).toMatchObject({ outcome: 'updated', previousAmiId: OLD, version: undefined });
  });
});

describe('promote: SSM validation and faults', () => {
  it('fails clearly when SSM rejects the new version', async () => {
    seed([OLD]);
    // The AMI disappears between the check and SSM's asynchronous validation.
    cloud.beforeSend(US, 'PutParameter', () => cloud.lc.control.deregisterImage(NEW, US));
    await expect(promote(ctx, options({ validationTimeoutMs: 5_000 }))).rejects.toThrow(
      /SSM did not accept ami-0000000000000000b as version 2 .* within 5s.*it still holds ami-0000000000000000a \(version 1\)/,
    );
    expect(history()).toEqual([`1:${OLD}`]);
  });

  it('keeps reading back through throttling', async () => {
    // The first read after our write (the read-back of version 1) is throttled.
    cloud.afterSend(US, 'PutParameter', () =>
      cloud.lc.control.addFaults({ service: 'ssm', operation: 'GetParameter', kind: 'throttle', count: 1 }),
    );
    const result = await promote(ctx, options());
    expect(result.regions[0]).toMatchObject({ outcome: 'created', version: 1 });
    expect(cloud.lc.faults.list().map((r) => r.fired)).toEqual([1]);
  });

  it('reports exactly which regions changed when a later region fails', async () => {
    seed([OLD]);
    seed([OLD], {}, EU);
    cloud.lc.control.addFaults({
      service: 'ssm',
      operation: 'PutParameter',
      region: EU,
      kind: 'error',
      status: 500,
      code: 'InternalServerError',
    });
    const err = await promote(
      ctx,
      options({
        targets: [
          { region: 'us-east-1', amiId: NEW },
          { region: 'eu-west-1', amiId: NEW },
        ],
      }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartialPromotion);
    expect((err as Error).message).toMatch(
      /failed in eu-west-1: writing ami-0000000000000000b .*InternalServerError.*; changed: us-east-1 \(ami-0000000000000000a -> ami-0000000000000000b, version 2\)/,
    );
    expect((err as PartialPromotion).result.regions.map((r) => r.region)).toEqual(['us-east-1']);
    expect(history()).toEqual([`1:${OLD}`, `2:${NEW}`]);
    expect(history(EU)).toEqual([`1:${OLD}`]);
  });

  it('stops waiting when cancelled', async () => {
    // Cancelled once our write reached SSM, while the read-back waits for validation.
    cloud.afterSend(US, 'PutParameter', () => controller.abort());
    const err = await promote(ctx, options()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect((err as Error).message).toMatch(
      /us-east-1: version 1 was sent and becomes current if SSM accepts it$/,
    );
  });
});

describe('promote: racing writers never leave the older AMI current', () => {
  it('undoes our older write when a newer AMI landed between our check and our write', async () => {
    seed([OLD], { labels: { prod: 1 } });
    let raced = false;
    cloud.beforeSend(US, 'PutParameter', async (input) => {
      if (raced || input.Value !== NEW) return;
      raced = true;
      await cloud.concurrentPut(US, NAME, NEWER); // the other workflow's version 2
    });
    const err = await promote(ctx, options({ label: 'prod' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActionFailure);
    expect((err as Error).message).toMatch(
      /concurrent promotion wrote ami-0000000000000000c as version 2.*older than.*restored ami-0000000000000000c as version 4; us-east-1 does not hold ami-0000000000000000b$/,
    );
    cloud.clock.advance(10_000);
    expect(history()).toEqual([`1:${OLD}[prod]`, `2:${NEWER}`, `3:${NEW}`, `4:${NEWER}`]);
  });

  it('keeps our newer write when an older AMI landed concurrently', async () => {
    seed([OLD]);
    cloud.seedImage(US, 'ami-00000000000000001', '2024-01-15T00:00:00.000Z');
    let raced = false;
    cloud.beforeSend(US, 'PutParameter', async () => {
      if (raced) return;
      raced = true;
      await cloud.concurrentPut(US, NAME, 'ami-00000000000000001');
    });
    const result = await promote(ctx, options({ label: 'prod' }));
    expect(result.regions[0]!.notes.join()).toMatch(
      /concurrent promotion wrote ami-00000000000000001 as version 2 first/,
    );
    expect(history()).toEqual([`1:${OLD}`, `2:ami-00000000000000001`, `3:${NEW}[prod]`]);
  });

  it('re-checks when the parameter changed between the plan and the write', async () => {
    seed([OLD]);
    // Another workflow promotes NEWER after our plan read the parameter, before our write.
    let reads = 0;
    cloud.beforeSend(US, 'GetParameter', async (input) => {
      if (input.Name !== NAME || ++reads !== 2) return;
      await cloud.concurrentPut(US, NAME, NEWER);
      cloud.clock.advance(1_000);
    });
    await expect(promote(ctx, options())).rejects.toThrow(/older than ami-0000000000000000c/);
    expect(history()).toEqual([`1:${OLD}`, `2:${NEWER}`]);
  });

  it('a concurrent creation is re-checked instead of failing', async () => {
    let raced = false;
    cloud.beforeSend(US, 'PutParameter', async () => {
      if (raced) return;
      raced = true;
      await cloud.concurrentPut(US, NAME, OLD);
      cloud.clock.advance(1_000);
    });
    const result = await promote(ctx, options());
    expect(result.regions[0]).toMatchObject({ outcome: 'updated', previousAmiId: OLD, version: 2 });
    expect(history()).toEqual([`1:${OLD}`, `2:${NEW}`]);
  });

  it('hands the label on when the racer that wrote after us restored our AMI', async () => {
    seed([OLD], { labels: { prod: 1 } });
    cloud.seedImage(US, 'ami-00000000000000001', '2024-01-15T00:00:00.000Z');
    let raced = false;
    cloud.afterSend(US, 'PutParameter', async (input) => {
      if (raced || input.Value !== NEWER) return;
      raced = true;
      // The other workflow writes its older AMI as version 3, sees ours, and restores it as version 4.
      await cloud.concurrentPut(US, NAME, 'ami-00000000000000001');
      await cloud.concurrentPut(US, NAME, NEWER);
    });
    const result = await promote(
      ctx,
      options({ label: 'prod', targets: [{ region: 'us-east-1', amiId: NEWER }] }),
    );
    expect(history()).toEqual([`1:${OLD}`, `2:${NEWER}`, '3:ami-00000000000000001', `4:${NEWER}[prod]`]);
    expect(result.regions[0]!.notes.join()).toMatch(/label prod follows it there/);
  });

  it('keeps the label on our version when an older AMI was written after it', async () => {
    seed([OLD]);
    cloud.seedImage(US, 'ami-00000000000000001', '2024-01-15T00:00:00.000Z');
    let raced = false;
    cloud.afterSend(US, 'PutParameter', async (input) => {
      if (raced || input.Value !== NEW) return;
      raced = true;
      await cloud.concurrentPut(US, NAME, 'ami-00000000000000001');
    });
    const result = await promote(ctx, options({ label: 'prod' }));
    cloud.clock.advance(10_000);
    expect(history()).toEqual([`1:${OLD}`, `2:${NEW}[prod]`, '3:ami-00000000000000001']);
    expect(result.regions[0]!.notes.join()).toMatch(/version 3 \(ami-00000000000000001\) was written after/);
  });
});
