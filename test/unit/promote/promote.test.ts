import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { AbortedError, ActionFailure } from '../../../src/core/errors.js';
import { PartialPromotion, promote, PromotionError } from '../../../src/promote/promote.js';
import type { PromoteOptions } from '../../../src/promote/types.js';
import { awsError, fakeWorld } from './fake-aws.js';

const NAME = '/golden-ami/web';
const OLD = 'ami-0000000000000000a';
const NEW = 'ami-0000000000000000b';
const NEWER = 'ami-0000000000000000c';

function options(over: Partial<PromoteOptions> = {}): PromoteOptions {
  return {
    parameterName: NAME,
    targets: [{ region: 'us-east-1', amiId: NEW }],
    allowOlder: false,
    tags: {},
    dryRun: false,
    validationTimeoutMs: 60_000,
    pollIntervalMs: 100,
    ...over,
  };
}

function world(regions?: string[]) {
  const w = fakeWorld(regions);
  for (const r of regions ?? ['us-east-1'])
    w.region(r)
      .image(OLD, '2024-01-01T00:00:00.000Z')
      .image(NEW, '2024-02-01T00:00:00.000Z')
      .image(NEWER, '2024-03-01T00:00:00.000Z');
  return w;
}

let w: ReturnType<typeof world>;
afterEach(() => w.restore());

describe('promote: writing', () => {
  it('creates a missing parameter as aws:ec2:image with its tags and waits for validation', async () => {
    w = world();
    const result = await promote(w.ctx, options({ tags: { team: 'web' }, description: 'web AMI' }));
    const us = w.region('us-east-1');
    expect(us.historyOf(NAME)).toEqual([`1:${NEW}`]);
    expect(us.params.get(NAME)).toMatchObject({
      dataType: 'aws:ec2:image',
      tags: { team: 'web' },
      description: 'web AMI',
    });
    expect(result.regions).toEqual([
      expect.objectContaining({ outcome: 'created', version: 1, previousAmiId: undefined, changed: true }),
    ]);
    expect(result.changed).toBe(true);
    // The read-back polled while the version was pending, logging each poll.
    expect(w.log.lines.some((l) => l.includes('read-back 1:') && l.includes('not validated yet'))).toBe(true);
  });

  it('updates an existing parameter and adds tags to it', async () => {
    w = world();
    w.region('us-east-1').seed(NAME, [OLD]);
    const result = await promote(w.ctx, options({ tags: { release: '42' } }));
    expect(w.region('us-east-1').historyOf(NAME)).toEqual([`1:${OLD}`, `2:${NEW}`]);
    expect(w.region('us-east-1').params.get(NAME)!.tags).toEqual({ release: '42' });
    expect(result.regions[0]).toMatchObject({
      outcome: 'updated',
      previousAmiId: OLD,
      previousVersion: 1,
      version: 2,
    });
  });

  it('moves the label to the new version', async () => {
    w = world();
    w.region('us-east-1').seed(NAME, [OLD], { labels: { staging: 1 } });
    const result = await promote(w.ctx, options({ label: 'staging' }));
    expect(w.region('us-east-1').historyOf(NAME)).toEqual([`1:${OLD}`, `2:${NEW}[staging]`]);
    expect(result.regions[0]!.label).toEqual({ name: 'staging', previousVersion: 1, moved: true });
  });

  it('is a no-op when the AMI is already current: no new version, changed=false', async () => {
    w = world();
    w.region('us-east-1').seed(NAME, [OLD, NEW], { labels: { prod: 2 } });
    const result = await promote(w.ctx, options({ label: 'prod' }));
    expect(w.region('us-east-1').historyOf(NAME)).toEqual([`1:${OLD}`, `2:${NEW}[prod]`]);
    expect(w.region('us-east-1').mutations).toEqual([]);
    expect(result.regions[0]).toMatchObject({ outcome: 'unchanged', version: 2, changed: false });
    expect(result.changed).toBe(false);
  });

  it('moves only the label when the AMI is current but the label is elsewhere', async () => {
    w = world();
    w.region('us-east-1').seed(NAME, [OLD, NEW], { labels: { prod: 1 } });
    const result = await promote(w.ctx, options({ label: 'prod' }));
    expect(w.region('us-east-1').historyOf(NAME)).toEqual([`1:${OLD}`, `2:${NEW}[prod]`]);
    expect(result.regions[0]).toMatchObject({ outcome: 'unchanged', version: 2, changed: true });
  });

  it('rolls back to an older AMI only with allowOlder', async () => {
    w = world();
    w.region('us-east-1').seed(NAME, [NEW, NEWER]);
    await expect(promote(w.ctx, options())).rejects.toThrow(
      /older than ami-0000000000000000c.*allow-older: true/,
    );
    expect(w.region('us-east-1').historyOf(NAME)).toEqual([`1:${NEW}`, `2:${NEWER}`]);
    const result = await promote(w.ctx, options({ allowOlder: true }));
    expect(result.regions[0]).toMatchObject({ outcome: 'rolled-back', previousAmiId: NEWER, version: 3 });
    expect(w.region('us-east-1').historyOf(NAME)).toEqual([`1:${NEW}`, `2:${NEWER}`, `3:${NEW}`]);
  });

  it("judges 'older' against the label's AMI: a newer nightly does not turn a forward deploy into a rollback", async () => {
    w = world();
    // prod runs OLD; a nightly wrote NEWER since. NEW is a forward deploy for prod.
    w.region('us-east-1').seed(NAME, [OLD, NEWER], { labels: { prod: 1, nightly: 2 } });
    const result = await promote(w.ctx, options({ label: 'prod' }));
    expect(result.regions[0]).toMatchObject({ outcome: 'updated', previousAmiId: NEWER, version: 3 });
    expect(w.region('us-east-1').historyOf(NAME)).toEqual([
      `1:${OLD}`,
      `2:${NEWER}[nightly]`,
      `3:${NEW}[prod]`,
    ]);
  });

  it("refuses an AMI older than the label's, naming the label, even when the newest value is older", async () => {
    w = world();
    w.region('us-east-1').seed(NAME, [NEWER, OLD], { labels: { prod: 1 } });
    await expect(promote(w.ctx, options({ label: 'prod' }))).rejects.toThrow(
      /older than ami-0000000000000000c .*which label prod of \/golden-ami\/web in us-east-1 is on \(version 1\); set allow-older: true/,
    );
    expect(w.region('us-east-1').historyOf(NAME)).toEqual([`1:${NEWER}[prod]`, `2:${OLD}`]);
  });

  it('a label on no version yet records nothing to be older than', async () => {
    w = world();
    w.region('us-east-1').seed(NAME, [NEWER], { labels: { nightly: 1 } });
    const result = await promote(w.ctx, options({ label: 'prod' }));
    expect(result.regions[0]).toMatchObject({ outcome: 'updated', version: 2 });
    expect(w.region('us-east-1').historyOf(NAME)).toEqual([`1:${NEWER}[nightly]`, `2:${NEW}[prod]`]);
  });

  it('promotes over a current AMI that no longer exists, with a warning', async () => {
    w = world();
    w.region('us-east-1').seed(NAME, ['ami-0000000000000dead']);
    const result = await promote(w.ctx, options());
    expect(w.region('us-east-1').historyOf(NAME)).toEqual(['1:ami-0000000000000dead', `2:${NEW}`]);
    expect(result.regions[0]!.notes.join()).toMatch(/no longer exists/);
    expect(w.log.lines.some((l) => l.startsWith('warning:') && l.includes('no longer exists'))).toBe(true);
  });
});

describe('promote: refusals change nothing', () => {
  it('compare-and-swap conflict', async () => {
    w = world();
    w.region('us-east-1').seed(NAME, [OLD]);
    const err = await promote(
      w.ctx,
      options({ targets: [{ region: 'us-east-1', amiId: NEW, expected: NEWER }] }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PromotionError);
    expect((err as Error).message).toMatch(
      /compare-and-swap conflict.*holds ami-0000000000000000a \(version 1\).*no region was changed/,
    );
    expect(w.region('us-east-1').mutations).toEqual([]);
  });

  it('compare-and-swap succeeds when the current value matches, and expected none requires absence', async () => {
    w = world();
    await promote(w.ctx, options({ targets: [{ region: 'us-east-1', amiId: OLD, expected: null }] }));
    await expect(
      promote(w.ctx, options({ targets: [{ region: 'us-east-1', amiId: NEW, expected: null }] })),
    ).rejects.toThrow(/holds ami-0000000000000000a \(version 1\), expected-current is no parameter/);
    await promote(w.ctx, options({ targets: [{ region: 'us-east-1', amiId: NEW, expected: OLD }] }));
    expect(w.region('us-east-1').historyOf(NAME)).toEqual([`1:${OLD}`, `2:${NEW}`]);
  });

  it.each([
    ['does not exist', 'ami-00000000000000999', 'available', /does not exist in us-east-1/],
    ['is pending', 'ami-00000000000000777', 'pending', /is pending, not available/],
  ])('an AMI that %s fails before any write', async (_what, ami, state, message) => {
    w = world();
    if (state === 'pending') w.region('us-east-1').image(ami, '2024-05-01T00:00:00.000Z', 'pending');
    w.region('us-east-1').seed(NAME, [OLD]);
    await expect(promote(w.ctx, options({ targets: [{ region: 'us-east-1', amiId: ami }] }))).rejects.toThrow(
      message,
    );
    expect(w.region('us-east-1').mutations).toEqual([]);
  });

  it('an AMI of another region fails before any region is written', async () => {
    w = world(['us-east-1', 'eu-west-1']);
    const onlyInUs = 'ami-000000000000000e1';
    w.region('us-east-1').image(onlyInUs, '2024-05-01T00:00:00.000Z');
    const targets = [
      { region: 'us-east-1', amiId: NEW },
      { region: 'eu-west-1', amiId: onlyInUs },
    ];
    await expect(promote(w.ctx, options({ targets }))).rejects.toThrow(
      /failed in eu-west-1: ami-000000000000000e1 does not exist in eu-west-1.*no region was changed/,
    );
    expect(w.region('us-east-1').mutations).toEqual([]);
    expect(w.region('eu-west-1').mutations).toEqual([]);
  });

  it('a parameter of another data type cannot be converted', async () => {
    w = world();
    w.region('us-east-1').seed(NAME, ['hello'], { dataType: 'text' });
    await expect(promote(w.ctx, options())).rejects.toThrow(
      /data type text; SSM cannot convert it to aws:ec2:image/,
    );
    expect(w.region('us-east-1').mutations).toEqual([]);
  });

  it('reports a label that keeps the 100-version history from advancing', async () => {
    w = world();
    w.region('us-east-1').seed(
      NAME,
      Array.from({ length: 100 }, (_, i) => (i % 2 ? OLD : NEW))
        .slice(0, 99)
        .concat(OLD),
      {
        labels: { ancient: 1 },
      },
    );
    await expect(promote(w.ctx, options())).rejects.toThrow(
      /has 100 versions and the oldest, version 1, carries label ancient: SSM would refuse a new version/,
    );
    expect(w.region('us-east-1').mutations).toEqual([]);
  });

  it('dry run plans without writing', async () => {
    w = world();
    w.region('us-east-1').seed(NAME, [OLD], { labels: { prod: 1 } });
    const result = await promote(w.ctx, options({ dryRun: true, label: 'prod' }));
    expect(w.region('us-east-1').mutations).toEqual([]);
    expect(result).toMatchObject({ dryRun: true, changed: false });
    expect(result.regions[0]).toMatchObject({ outcome: 'updated', previousAmiId: OLD, version: undefined });
  });
});

describe('promote: SSM validation and faults', () => {
  it('fails clearly when SSM rejects the new version', async () => {
    w = world();
    const us = w.region('us-east-1');
    us.seed(NAME, [OLD]);
    // The AMI disappears between the check and SSM's asynchronous validation.
    us.beforePut = () => us.images.delete(NEW);
    await expect(promote(w.ctx, options({ validationTimeoutMs: 5_000 }))).rejects.toThrow(
      /SSM did not accept ami-0000000000000000b as version 2 .* within 5s.*it still holds ami-0000000000000000a \(version 1\)/,
    );
    expect(us.historyOf(NAME)).toEqual([`1:${OLD}`]);
  });

  it('keeps reading back through throttling', async () => {
    w = world();
    const us = w.region('us-east-1');
    us.ssm
      .on(GetParameterCommand, { Name: `${NAME}:1` })
      .rejectsOnce(awsError('ThrottlingException'))
      .callsFake(() => ({ Parameter: { Name: NAME, Value: NEW, Version: 1 } }));
    const result = await promote(w.ctx, options());
    expect(result.regions[0]).toMatchObject({ outcome: 'created', version: 1 });
  });

  it('reports exactly which regions changed when a later region fails', async () => {
    w = world(['us-east-1', 'eu-west-1']);
    w.region('us-east-1').seed(NAME, [OLD]);
    w.region('eu-west-1').seed(NAME, [OLD]);
    w.region('eu-west-1').ssm.on(PutParameterCommand).rejects(awsError('InternalServerError', 500));
    const err = await promote(
      w.ctx,
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
    expect(w.region('us-east-1').historyOf(NAME)).toEqual([`1:${OLD}`, `2:${NEW}`]);
    expect(w.region('eu-west-1').historyOf(NAME)).toEqual([`1:${OLD}`]);
  });

  it('stops waiting when cancelled', async () => {
    w = world();
    w.region('us-east-1').beforePut = () => w.controller.abort();
    const err = await promote(w.ctx, options()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect((err as Error).message).toMatch(
      /us-east-1: version 1 was sent and becomes current if SSM accepts it$/,
    );
  });
});

describe('promote: racing writers never leave the older AMI current', () => {
  it('undoes our older write when a newer AMI landed between our check and our write', async () => {
    w = world();
    const us = w.region('us-east-1');
    us.seed(NAME, [OLD], { labels: { prod: 1 } });
    let raced = false;
    us.beforePut = (input) => {
      if (raced || input.Value !== NEW) return;
      raced = true;
      us.concurrentPut(NAME, NEWER); // the other workflow's version 2
    };
    const err = await promote(w.ctx, options({ label: 'prod' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActionFailure);
    expect((err as Error).message).toMatch(
      /concurrent promotion wrote ami-0000000000000000c as version 2.*older than.*restored ami-0000000000000000c as version 4; us-east-1 does not hold ami-0000000000000000b$/,
    );
    w.clock.t += 10_000;
    expect(us.historyOf(NAME)).toEqual([`1:${OLD}[prod]`, `2:${NEWER}`, `3:${NEW}`, `4:${NEWER}`]);
  });

  it('keeps our newer write when an older AMI landed concurrently', async () => {
    w = world();
    const us = w.region('us-east-1');
    us.seed(NAME, [OLD]);
    us.image('ami-00000000000000001', '2024-01-15T00:00:00.000Z');
    let raced = false;
    us.beforePut = () => {
      if (raced) return;
      raced = true;
      us.concurrentPut(NAME, 'ami-00000000000000001');
    };
    const result = await promote(w.ctx, options({ label: 'prod' }));
    expect(result.regions[0]!.notes.join()).toMatch(
      /concurrent promotion wrote ami-00000000000000001 as version 2 first/,
    );
    expect(us.historyOf(NAME)).toEqual([`1:${OLD}`, `2:ami-00000000000000001`, `3:${NEW}[prod]`]);
  });

  it('re-checks when the parameter changed between the plan and the write', async () => {
    w = world();
    const us = w.region('us-east-1');
    us.seed(NAME, [OLD]);
    // Another workflow promotes NEWER after our plan read the parameter, before our write.
    let reads = 0;
    us.ssm.on(GetParameterCommand, { Name: NAME }).callsFake(() => {
      if (++reads === 2) {
        us.concurrentPut(NAME, NEWER);
        w.clock.t += 1_000;
      }
      const v = us.visible(NAME).at(-1)!;
      return {
        Parameter: {
          Name: NAME,
          Value: v.value,
          Version: v.version,
          Type: 'String',
          DataType: 'aws:ec2:image',
        },
      };
    });
    await expect(promote(w.ctx, options())).rejects.toThrow(/older than ami-0000000000000000c/);
    expect(us.historyOf(NAME)).toEqual([`1:${OLD}`, `2:${NEWER}`]);
  });

  it('a concurrent creation is re-checked instead of failing', async () => {
    w = world();
    const us = w.region('us-east-1');
    let raced = false;
    us.beforePut = () => {
      if (raced) return;
      raced = true;
      us.concurrentPut(NAME, OLD);
      w.clock.t += 1_000;
    };
    const result = await promote(w.ctx, options());
    expect(result.regions[0]).toMatchObject({ outcome: 'updated', previousAmiId: OLD, version: 2 });
    expect(us.historyOf(NAME)).toEqual([`1:${OLD}`, `2:${NEW}`]);
  });

  it('hands the label on when the racer that wrote after us restored our AMI', async () => {
    w = world();
    const us = w.region('us-east-1');
    us.seed(NAME, [OLD], { labels: { prod: 1 } });
    us.image('ami-00000000000000001', '2024-01-15T00:00:00.000Z');
    us.afterPut = (input) => {
      if (input.Value !== NEWER) return;
      us.afterPut = undefined;
      // The other workflow writes its older AMI as version 3, sees ours, and restores it as version 4.
      us.concurrentPut(NAME, 'ami-00000000000000001');
      us.concurrentPut(NAME, NEWER);
    };
    const result = await promote(
      w.ctx,
      options({ label: 'prod', targets: [{ region: 'us-east-1', amiId: NEWER }] }),
    );
    expect(us.historyOf(NAME)).toEqual([
      `1:${OLD}`,
      `2:${NEWER}`,
      '3:ami-00000000000000001',
      `4:${NEWER}[prod]`,
    ]);
    expect(result.regions[0]!.notes.join()).toMatch(/label prod follows it there/);
  });

  it('keeps the label on our version when an older AMI was written after it', async () => {
    w = world();
    const us = w.region('us-east-1');
    us.seed(NAME, [OLD]);
    us.image('ami-00000000000000001', '2024-01-15T00:00:00.000Z');
    us.afterPut = (input) => {
      if (input.Value !== NEW) return;
      us.afterPut = undefined;
      us.concurrentPut(NAME, 'ami-00000000000000001');
    };
    const result = await promote(w.ctx, options({ label: 'prod' }));
    w.clock.t += 10_000;
    expect(us.historyOf(NAME)).toEqual([`1:${OLD}`, `2:${NEW}[prod]`, '3:ami-00000000000000001']);
    expect(result.regions[0]!.notes.join()).toMatch(/version 3 \(ami-00000000000000001\) was written after/);
  });
});
