// The deploy journal on localcloud in-process: every change is saved before it is sent (so a call
// whose answer never comes is still known), step state stays one entry per change, a forged or
// foreign state is not taken for a journal, and a put-back call is retried past throttling.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { Journal, readJournal, type JournalData } from '../../../src/deploy/journal.js';
import { journaled } from '../../../src/deploy/journal-middleware.js';
import { persist, PutBackReport } from '../../../src/deploy/persist.js';
import { checkedJournal } from '../../../src/deploy/post.js';
import { seedGroup } from '../../localcloud/aws/autoscaling-seed.js';
import { REGION, startCloud, type UnitCloud } from '../support/localcloud-context.js';

let cloud: UnitCloud;
beforeAll(async () => {
  cloud = await startCloud();
});
afterAll(() => cloud.stop());
beforeEach(() => cloud.reset());

const begun = (j: Journal) =>
  j.begin({
    amiId: 'ami-0123456789abcdef0',
    environment: 'staging',
    startedAt: Date.now(),
    rollbackOnFailure: true,
    parameter: { region: REGION, name: '/golden-ami/web', label: 'staging' },
    groups: [],
  });

function stateOf(): { saved: Map<string, string>; save: (n: string, v: string) => void; order: string[] } {
  const saved = new Map<string, string>();
  const order: string[] = [];
  return {
    saved,
    order,
    save: (n, v) => {
      saved.set(n, v);
      order.push(`${n}:${(JSON.parse(v) as { version?: number }).version ?? '-'}`);
    },
  };
}

describe('the journal', () => {
  test('a change is saved before it is sent and completed with AWS answer', async () => {
    const s = stateOf();
    const journal = new Journal(s.save);
    begun(journal);
    journal.recording = true;
    const ctx = journaled(cloud.context(), journal);
    await ctx.clients
      .ssm()
      .send(new PutParameterCommand({ Name: '/golden-ami/web', Value: 'x', Type: 'String' }));
    // Base, then the change before the call (no version), then with the version AWS gave it.
    expect(s.order).toEqual(['deploy-journal:-', 'deploy-change-0:-', 'deploy-change-0:1']);
    const read = readJournal((n) => s.saved.get(n) ?? '');
    expect(read?.changes).toEqual([
      expect.objectContaining({ kind: 'value', region: REGION, name: '/golden-ami/web', version: 1 }),
    ]);
  });

  test('settled, it tells its listener at once (the outputs say healthy before protection and reaping)', () => {
    const s = stateOf();
    const heard: (string | undefined)[] = [];
    const journal = new Journal(s.save, (d) => heard.push(d.settled));
    begun(journal);
    journal.settle('healthy');
    expect(heard).toEqual(['healthy']);
    expect(readJournal((n) => s.saved.get(n) ?? '')?.settled).toBe('healthy');
  });

  test('a call whose answer never comes is still in the journal, without its answer', async () => {
    const s = stateOf();
    const journal = new Journal(s.save);
    begun(journal);
    journal.recording = true;
    cloud.lc.faults.add({ service: 'ssm', operation: 'PutParameter', kind: 'drop' });
    const ctx = journaled(cloud.context(), journal);
    await expect(
      ctx.clients
        .ssm()
        .send(new PutParameterCommand({ Name: '/golden-ami/web', Value: 'x', Type: 'String' })),
    ).rejects.toThrow();
    cloud.lc.faults.clear();
    const read = readJournal((n) => s.saved.get(n) ?? '')!;
    expect(read.changes).toEqual([expect.objectContaining({ kind: 'value', name: '/golden-ami/web' })]);
    expect(read.changes[0]).not.toHaveProperty('version', expect.any(Number));
  });

  test('nothing is recorded while not recording (the put-back sends its own calls)', async () => {
    const s = stateOf();
    const journal = new Journal(s.save);
    begun(journal);
    const ctx = journaled(cloud.context(), journal);
    await ctx.clients
      .ssm()
      .send(new PutParameterCommand({ Name: '/golden-ami/web', Value: 'x', Type: 'String' }));
    expect(readJournal((n) => s.saved.get(n) ?? '')?.changes).toEqual([]);
  });

  test('state that is not a journal is not taken for one', () => {
    const base: Partial<JournalData> = { v: 1, amiId: 'ami-1', startedAt: 1, groups: [] };
    const read = (v: unknown) => readJournal((n) => (n === 'deploy-journal' ? JSON.stringify(v) : ''));
    expect(readJournal(() => '')).toBeUndefined();
    expect(readJournal((n) => (n === 'deploy-journal' ? '{not json' : ''))).toBeUndefined();
    expect(read({ ...base, v: 2 })).toBeUndefined();
    expect(read({ ...base, groups: [{ region: 'us-east-1' }] })).toBeUndefined();
    expect(read({ ...base, parameter: { label: 'x' } })).toBeUndefined();
    expect(read(base)).toMatchObject({ amiId: 'ami-1', changes: [] });
  });
});

describe('persist', () => {
  test('a throttled call is retried past the SDK attempts until it passes; a refusal is not', async () => {
    const ctx = cloud.context();
    const budget = { retryUntil: ctx.clock.now() + 60_000, waitUntil: ctx.clock.now() + 60_000 };
    cloud.lc.faults.add({ service: 'ssm', operation: 'PutParameter', kind: 'throttle', sequence: 'xxxxxxx' });
    const put = () =>
      ctx.clients
        .ssm()
        .send(new PutParameterCommand({ Name: '/golden-ami/web', Value: 'x', Type: 'String' }));
    await expect(persist(ctx, budget, 'writing', put)).resolves.toMatchObject({ Version: 1 });
    cloud.lc.faults.clear();
    cloud.lc.faults.add({
      service: 'ssm',
      operation: 'PutParameter',
      kind: 'error',
      status: 400,
      code: 'AccessDeniedException',
    });
    await expect(persist(ctx, budget, 'writing', put)).rejects.toThrow(/AccessDenied|not authorized|denied/i);
    expect(cloud.calls({ operation: 'PutParameter' }).length).toBe(9);
  });

  test('what could not be put back makes the report incomplete; cancelled part way, so does that', () => {
    const r = new PutBackReport();
    r.done('label back');
    expect(r.complete).toBe(true);
    r.unfinished = true;
    expect(r.complete).toBe(false);
    const left = new PutBackReport();
    left.left('label still names the AMI', new Error('boom'), 'aws ssm label-parameter-version …');
    expect(left.complete).toBe(false);
    expect(left.remaining).toEqual([
      { what: 'label still names the AMI: boom', command: 'aws ssm label-parameter-version …' },
    ]);
  });
});

describe("the post step's checks: saved state is only as trustworthy as the job's other steps", () => {
  let groups: UnitCloud;
  beforeAll(async () => {
    groups = await startCloud({ autoScaling: true });
    for (const [name, consent] of [
      ['ours', '/golden-ami/web'],
      ['theirs', '/golden-ami/payments'],
    ] as const)
      seedGroup(groups.lc.world, REGION, { name, desired: 0, tags: { Environment: 'staging' }, consent });
  });
  afterAll(() => groups.stop());

  const journal = (amiId = 'ami-0123456789abcdef0'): JournalData => ({
    v: 1,
    amiId,
    environment: 'staging',
    startedAt: 0,
    rollbackOnFailure: true,
    groups: ['ours', 'theirs', 'gone'].map((name) => ({
      region: REGION,
      name,
      imageSource: 'launch-template' as const,
      source: {},
      pinned: {},
    })),
    changes: [],
  });
  const expectation = {
    selection: { names: [], tags: { Environment: 'staging' }, consent: '/golden-ami/web' },
    fields: (j: JournalData) => [{ name: 'ami-id', saved: j.amiId, input: 'ami-0123456789abcdef0' }],
  };

  test('a journal of another deployment is refused before anything is changed', async () => {
    await expect(
      checkedJournal(groups.context(), journal('ami-0fffffffffffffff0'), expectation),
    ).rejects.toThrow(
      /saved state names ami-id ami-0fffffffffffffff0, not this step's inputs; nothing was put back/,
    );
  });

  test('groups the inputs do not select (another consent, or gone) are left alone', async () => {
    const ctx = groups.context();
    const checked = await checkedJournal(ctx, journal(), expectation);
    expect(checked.groups.map((g) => g.name)).toEqual(['ours']);
    expect(ctx.log.lines.filter((l) => /left alone/.test(l))).toHaveLength(2);
  });
});
