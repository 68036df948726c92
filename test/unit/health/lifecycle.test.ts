// The watched group's state machine (src/health/lifecycle.ts): one test per transition, driven
// through the judging code (look, fail) with a fake HealthApi — no cloud, no clock; and `next`,
// the pure transition function, one test per move.
import { describe, expect, test } from '@jest/globals';
import type { AutoScalingGroup, InstanceRefresh } from '@aws-sdk/client-auto-scaling';
import type { Instance } from '@aws-sdk/client-ec2';
import { memoryLog } from '../../../src/core/log.js';
import type { HealthApi } from '../../../src/health/aws-calls.js';
import { newGroupState, type GroupState } from '../../../src/health/group-state.js';
import { look, type LookContext } from '../../../src/health/group-watch.js';
import {
  finish,
  next,
  TRANSITIONS,
  watching,
  type Ending,
  type Failure,
  type Lifecycle,
} from '../../../src/health/lifecycle.js';
import type { Snapshot } from '../../../src/health/verify.js';

const NEW = 'ami-00000000000000002';
const OLD = 'ami-00000000000000001';
const T0 = 1_000_000;

/** A fake of the three recovery calls: each answers as told, and records that it was made. */
function api(answers: Partial<Record<'rollback' | 'cancel' | 'startRevert', unknown>> = {}) {
  const calls: string[] = [];
  const answer = (name: 'rollback' | 'cancel' | 'startRevert', value: unknown) => {
    calls.push(name);
    const a = answers[name];
    if (a instanceof Error) return Promise.reject(a);
    return Promise.resolve(a ?? value);
  };
  const fake = {
    rollback: () => answer('rollback', undefined),
    cancel: () => answer('cancel', undefined),
    startRevert: () => answer('startRevert', 'rf-back'),
  };
  return { api: fake as unknown as HealthApi, calls };
}

const awsError = (name: string) =>
  Object.assign(new Error(name), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
const throttled = () => awsError('Throttling');

function context(o: { api?: HealthApi; now?: number; rollbackOnFailure?: boolean } = {}): LookContext {
  return {
    api: o.api ?? api().api,
    log: memoryLog(),
    now: o.now ?? T0,
    rollbackOnFailure: o.rollbackOnFailure ?? true,
    rollbackBudgetMs: 600_000,
    graceMs: 300_000,
    httpConfigured: false,
  };
}

function group(): GroupState {
  return newGroupState(
    {
      region: 'us-east-1',
      group: 'web',
      refreshId: 'rf-1',
      newVersion: '2',
      previousVersion: '1',
      amiId: NEW,
      previousAmiId: OLD,
      launchTemplate: { id: 'lt-1', name: 'web', version: '2' },
    } as Parameters<typeof newGroupState>[0],
    T0,
    T0 + 3_600_000,
    15_000,
    60_000,
  );
}

/** Two InService instances on `version`/`ami`, no load balancer. */
function snapshot(version: string, ami: string): Snapshot {
  const ids = ['i-1', 'i-2'];
  const g = {
    AutoScalingGroupName: 'web',
    DesiredCapacity: 2,
    Instances: ids.map((id) => ({
      InstanceId: id,
      LifecycleState: 'InService',
      HealthStatus: 'Healthy',
      LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: version },
    })),
  } as AutoScalingGroup;
  const instances = new Map<string, Instance>(ids.map((id) => [id, { InstanceId: id, ImageId: ami }]));
  return { group: g, instances, targets: new Map() };
}

const refresh = (Status: string, more: Partial<InstanceRefresh> = {}): InstanceRefresh =>
  ({ InstanceRefreshId: 'rf-1', Status, PercentageComplete: 50, ...more }) as InstanceRefresh;

/** A group whose refresh failed: `look` once with a Failed refresh, recovery calls answered as given. */
async function failedInProgress(answers: Parameters<typeof api>[0]) {
  const s = group();
  const fake = api(answers);
  s.refresh = refresh('InProgress');
  await look(s, undefined, T0 + 3_600_000, context({ api: fake.api, now: T0 + 3_600_000 }));
  return { s, calls: fake.calls };
}

/** A Successful refresh whose check failed past the grace: the refresh back, answered as given. */
async function revertStarted(answers: Parameters<typeof api>[0] = {}) {
  const s = group();
  const fake = api(answers);
  s.refresh = refresh('Successful', { PercentageComplete: 100 });
  await look(s, snapshot('1', OLD), T0, context({ api: fake.api }));
  const later = T0 + 300_000;
  await look(s, snapshot('1', OLD), later, context({ api: fake.api, now: later }));
  return { s, calls: fake.calls };
}

describe('watched group lifecycle', () => {
  test('watching → done (healthy): Successful and every check passes', async () => {
    const s = group();
    s.refresh = refresh('Successful', { PercentageComplete: 100 });
    await look(s, snapshot('2', NEW), T0, context());
    expect(s.life).toMatchObject({ phase: 'done', ending: { status: 'healthy', action: 'none' } });
    expect(s.result).toMatchObject({
      status: 'healthy',
      message: 'healthy: 2/2 instances on version 2 / ' + NEW,
    });
  });

  test('watching → done (failed): no refresh found', async () => {
    const s = group();
    await look(s, undefined, T0, context());
    expect(s.life).toMatchObject({ phase: 'done', ending: { status: 'failed', action: 'none' } });
    expect(s.result.message).toBe('no instance refresh rf-1 found for the group');
  });

  test('watching → done (rolled-back-by-aws): AWS rolled the refresh back itself', async () => {
    const s = group();
    s.refresh = refresh('RollbackSuccessful', { StatusReason: 'alarm' });
    await look(s, undefined, T0, context());
    expect(s.result).toMatchObject({ status: 'rolled-back', action: 'rolled-back-by-aws' });
  });

  test("watching → done (rollback-failed): AWS's own rollback failed", async () => {
    const s = group();
    s.refresh = refresh('RollbackFailed');
    await look(s, undefined, T0, context());
    expect(s.result).toMatchObject({ status: 'failed', action: 'rollback-failed' });
    expect(s.result.message).toBe("AWS's rollback failed");
  });

  test('watching → done (none): a failure with rollback-on-failure off is left as it is', async () => {
    const s = group();
    s.refresh = refresh('Failed', { StatusReason: 'boom' });
    await look(s, undefined, T0, context({ rollbackOnFailure: false }));
    expect(s.result).toMatchObject({ status: 'failed', action: 'none' });
    expect(s.result.message).toMatch(/^refresh Failed: boom; rollback-on-failure is off/);
  });

  test('watching → done (not-possible): a refresh that ended is not rolled back', async () => {
    const s = group();
    s.refresh = refresh('Failed');
    await look(s, undefined, T0, context());
    expect(s.result).toMatchObject({ status: 'failed', action: 'not-possible' });
  });

  test('watching → recovering: the rollback call is throttled, and sent again at the next look', async () => {
    const { s, calls } = await failedInProgress({ rollback: throttled() });
    expect(s.life).toMatchObject({ phase: 'recovering', call: 'rollback', failure: { kind: 'timed-out' } });
    expect(calls).toEqual(['rollback']);
    const fake = api();
    s.refresh = refresh('InProgress');
    await look(s, undefined, T0 + 3_600_001, context({ api: fake.api, now: T0 + 3_600_001 }));
    expect(fake.calls).toEqual(['rollback']);
    expect(s.life.phase).toBe('rolling-back');
  });

  test('recovering → rolling-back: AWS accepts RollbackInstanceRefresh', async () => {
    const { s, calls } = await failedInProgress({});
    expect(calls).toEqual(['rollback']);
    expect(s.life).toMatchObject({ phase: 'rolling-back', failure: { kind: 'timed-out' } });
    expect(s.result.action).toBe('rollback-started');
  });

  test('recovering(rollback) → recovering(cancel) → rolling-back: AWS cannot roll back, so it is cancelled', async () => {
    const { s, calls } = await failedInProgress({ rollback: awsError('IrreversibleInstanceRefresh') });
    expect(calls).toEqual(['rollback', 'cancel']);
    expect(s.life.phase).toBe('rolling-back');
    expect(s.result.action).toBe('cancelled');
    s.refresh = refresh('Cancelled');
    await look(s, undefined, T0 + 3_600_001, context());
    expect(s.result).toMatchObject({ status: 'timed-out', action: 'cancelled' });
    expect(s.result.message).toMatch(/AWS cannot roll this refresh back .*, so it was cancelled instead/);
  });

  test('recovering → done (not-possible): the refresh ended before the call reached it', async () => {
    const { s } = await failedInProgress({ rollback: awsError('ActiveInstanceRefreshNotFound') });
    expect(s.result).toMatchObject({ status: 'timed-out', action: 'not-possible' });
    expect(s.result.message).toMatch(/the refresh ended before it could be rolled back$/);
  });

  test('recovering → done (rollback-failed): AWS refuses the call', async () => {
    const { s } = await failedInProgress({ rollback: awsError('AccessDenied') });
    expect(s.result).toMatchObject({ status: 'timed-out', action: 'rollback-failed' });
    expect(s.result.message).toMatch(/; rollback failed: /);
  });

  test('rolling-back → done (rolled-back): AWS reports the rollback Successful', async () => {
    const { s } = await failedInProgress({});
    s.refresh = refresh('RollbackSuccessful');
    await look(s, undefined, T0 + 3_600_001, context());
    expect(s.result).toMatchObject({ status: 'timed-out', action: 'rolled-back' });
    expect(s.result.timeline.rollbackEnd).toBe(T0 + 3_600_001);
  });

  test('rolling-back → done (gave up): the rollback still runs at its deadline', async () => {
    const { s } = await failedInProgress({});
    s.refresh = refresh('RollbackInProgress');
    const late = s.deadlineAt;
    await look(s, undefined, late, context({ now: late }));
    expect(s.result.message).toMatch(/the rollback was still RollbackInProgress when the wait gave up/);
  });

  test('watching → recovering → reverting: a check fails after Successful, our refresh back starts', async () => {
    const { s, calls } = await revertStarted();
    expect(calls).toEqual(['startRevert']);
    expect(s.life).toMatchObject({ phase: 'reverting', failure: { kind: 'failed' } });
    expect(s.refreshId).toBe('rf-back');
  });

  test('reverting → done (rolled-back): every instance proven on the previous version', async () => {
    const { s } = await revertStarted();
    s.refresh = refresh('Successful', { InstanceRefreshId: 'rf-back', PercentageComplete: 100 });
    await look(s, snapshot('1', OLD), T0 + 400_000, context());
    expect(s.result).toMatchObject({ status: 'rolled-back', action: 'rolled-back' });
    expect(s.result.message).toMatch(
      /rolled back by instance refresh rf-back to launch template version 1: 2\/2/,
    );
  });

  test('reverting → done (rollback-failed): our refresh back ended Failed', async () => {
    const { s } = await revertStarted();
    s.refresh = refresh('Failed', { InstanceRefreshId: 'rf-back' });
    await look(s, undefined, T0 + 400_000, context());
    expect(s.result).toMatchObject({ status: 'failed', action: 'rollback-failed' });
  });

  test('a move the table does not list is a bug, never a silent change', () => {
    const s = group();
    finish(s, { status: 'healthy', action: 'none', message: 'ok', at: T0 });
    expect(TRANSITIONS.done).toEqual([]);
    expect(() => finish(s, { status: 'failed', action: 'none', message: 'again', at: T0 })).toThrow(
      /^bug: a watched group cannot go from done to done$/,
    );
  });
});

const FAILURE: Failure = { kind: 'failed', reason: '1 instance unhealthy' };
const BACK = { templateId: 'lt-1', version: '1', amiId: OLD };
const ENDING: Ending = { status: 'failed', action: 'none', message: 'left as it is', at: T0 };
const recovering = (call: 'rollback' | 'cancel'): Lifecycle => ({
  phase: 'recovering',
  failure: FAILURE,
  call,
});

/** Frozen all the way down: a `next` that changed its input would throw. */
function frozen<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) frozen(v);
    Object.freeze(o);
  }
  return o;
}

describe('lifecycle next (pure)', () => {
  test('watching --verifying--> verifying, keeping what the checks saw and since when it verifies', () => {
    const life: Lifecycle = frozen({
      phase: 'watching',
      unhealthy: { since: T0, atPercent: 50 },
      convergedRead: true,
      confirmed: true,
    });
    expect(next(life, { type: 'verifying', at: T0 + 1 })).toEqual({
      phase: 'verifying',
      since: T0 + 1,
      unhealthy: { since: T0, atPercent: 50 },
      convergedRead: true,
      confirmed: true,
    });
  });

  test('verifying --failed(revert)--> recovering(revert)', () => {
    const life: Lifecycle = frozen({ phase: 'verifying', since: T0, convergedRead: false });
    expect(next(life, { type: 'failed', failure: FAILURE, call: 'revert', to: BACK })).toEqual({
      phase: 'recovering',
      failure: FAILURE,
      call: 'revert',
      to: BACK,
    });
  });

  test('verifying --failed(rollback)--> recovering(rollback): a Baking refresh is still active', () => {
    const life: Lifecycle = frozen({ phase: 'verifying', since: T0, convergedRead: false });
    expect(next(life, { type: 'failed', failure: FAILURE, call: 'rollback' })).toEqual({
      phase: 'recovering',
      failure: FAILURE,
      call: 'rollback',
    });
  });

  test('verifying --ended--> done', () => {
    const life: Lifecycle = frozen({ phase: 'verifying', since: T0, convergedRead: false });
    expect(next(life, { type: 'ended', ending: ENDING })).toEqual({ phase: 'done', ending: ENDING });
  });

  test('watching --failed(rollback)--> recovering(rollback)', () => {
    const life = frozen(watching());
    expect(next(life, { type: 'failed', failure: FAILURE, call: 'rollback' })).toEqual({
      phase: 'recovering',
      failure: FAILURE,
      call: 'rollback',
    });
  });

  test('watching --failed(revert)--> recovering(revert), carrying where to go back', () => {
    expect(next(frozen(watching()), { type: 'failed', failure: FAILURE, call: 'revert', to: BACK })).toEqual({
      phase: 'recovering',
      failure: FAILURE,
      call: 'revert',
      to: BACK,
    });
  });

  test('watching --ended--> done', () => {
    expect(next(frozen(watching()), { type: 'ended', ending: ENDING })).toEqual({
      phase: 'done',
      ending: ENDING,
    });
  });

  test('recovering(rollback) --irreversible--> recovering(cancel), the reason saying why', () => {
    expect(next(frozen(recovering('rollback')), { type: 'irreversible', why: 'cancelled instead' })).toEqual({
      phase: 'recovering',
      failure: { kind: 'failed', reason: '1 instance unhealthy; cancelled instead' },
      call: 'cancel',
    });
  });

  test('recovering(rollback) --accepted--> rolling-back', () => {
    expect(next(frozen(recovering('rollback')), { type: 'accepted' })).toEqual({
      phase: 'rolling-back',
      failure: FAILURE,
    });
  });

  test('recovering(cancel) --accepted--> rolling-back', () => {
    expect(next(frozen(recovering('cancel')), { type: 'accepted' })).toEqual({
      phase: 'rolling-back',
      failure: FAILURE,
    });
  });

  test('recovering(revert) --accepted--> reverting, carrying where to go back', () => {
    const life: Lifecycle = frozen({ phase: 'recovering', failure: FAILURE, call: 'revert', to: BACK });
    expect(next(life, { type: 'accepted' })).toEqual({ phase: 'reverting', failure: FAILURE, to: BACK });
  });

  test('recovering --ended--> done', () => {
    expect(next(frozen(recovering('rollback')), { type: 'ended', ending: ENDING })).toEqual({
      phase: 'done',
      ending: ENDING,
    });
  });

  test('rolling-back --ended--> done', () => {
    const life: Lifecycle = frozen({ phase: 'rolling-back', failure: FAILURE });
    expect(next(life, { type: 'ended', ending: ENDING })).toEqual({ phase: 'done', ending: ENDING });
  });

  test('reverting --ended--> done', () => {
    const life: Lifecycle = frozen({ phase: 'reverting', failure: FAILURE, to: BACK });
    expect(next(life, { type: 'ended', ending: ENDING })).toEqual({ phase: 'done', ending: ENDING });
  });

  test('done takes no event: ended again is a bug', () => {
    const done: Lifecycle = frozen({ phase: 'done', ending: ENDING });
    expect(() => next(done, { type: 'ended', ending: ENDING })).toThrow(
      /^bug: a watched group cannot go from done to done$/,
    );
    expect(() => next(done, { type: 'accepted' })).toThrow(
      /^bug: a watched group cannot take accepted while done$/,
    );
  });

  test('an event the state cannot take is a bug', () => {
    const rollingBack: Lifecycle = { phase: 'rolling-back', failure: FAILURE };
    const failed = { type: 'failed', failure: FAILURE, call: 'rollback' } as const;
    expect(() => next(recovering('rollback'), failed)).toThrow(/cannot take failed while recovering$/);
    expect(() => next(watching(), { type: 'irreversible', why: '' })).toThrow(
      /cannot take irreversible while watching$/,
    );
    expect(() => next(recovering('cancel'), { type: 'irreversible', why: '' })).toThrow(
      /cannot take irreversible while recovering$/,
    );
    expect(() => next(watching(), { type: 'accepted' })).toThrow(/cannot take accepted while watching$/);
    expect(() => next(rollingBack, { type: 'accepted' })).toThrow(/cannot take accepted while rolling-back$/);
    const verifying: Lifecycle = { phase: 'verifying', since: T0, convergedRead: false };
    expect(() => next(verifying, { type: 'verifying', at: T0 })).toThrow(
      /cannot take verifying while verifying$/,
    );
    expect(() => next(rollingBack, failed)).toThrow(/cannot take failed while rolling-back$/);
  });

  test('every move next makes is one TRANSITIONS lists', () => {
    const moves = new Set<string>();
    const states: Lifecycle[] = [
      watching(),
      { phase: 'verifying', since: T0, convergedRead: false },
      recovering('rollback'),
      recovering('cancel'),
      { phase: 'recovering', failure: FAILURE, call: 'revert', to: BACK },
      { phase: 'rolling-back', failure: FAILURE },
      { phase: 'reverting', failure: FAILURE, to: BACK },
      { phase: 'done', ending: ENDING },
    ];
    const events = [
      { type: 'verifying', at: T0 },
      { type: 'failed', failure: FAILURE, call: 'rollback' },
      { type: 'failed', failure: FAILURE, call: 'revert', to: BACK },
      { type: 'irreversible', why: '' },
      { type: 'accepted' },
      { type: 'ended', ending: ENDING },
    ] as const;
    for (const life of states)
      for (const e of events) {
        try {
          moves.add(`${life.phase} → ${next(life, e).phase}`);
        } catch {
          // a bug, checked above
        }
      }
    const listed = Object.entries(TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `${from} → ${to}`));
    expect([...moves].sort()).toEqual(listed.sort());
  });
});
