// src/health/events.ts with the SQS client mocked: which events count, how long polls are cut,
// that consumed messages are deleted, and the one-warning fallback to polling; and waitHealthy's
// pause against localcloud in-process. The SQS mock stays: localcloud's long poll waits real seconds.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
  type ReceiveMessageCommandInput,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import type { AwsClients } from '../../../src/aws/clients.js';
import type { Clock } from '../../../src/core/clock.js';
import { memoryLog } from '../../../src/core/log.js';
import type { ActionContext } from '../../../src/core/context.js';
import {
  openRefreshEvents,
  refreshEventsPause,
  refreshIdOf,
  type RefreshEvents,
} from '../../../src/health/events.js';
import { queueRegion, queueUrlProblem } from '../../../src/health/queue-url.js';
import { waitHealthy, type WaitOptions } from '../../../src/health/wait.js';
import { startHealthCloud, type HealthCloud } from './cloud.js';
import { virtualClock } from '../support/virtual-clock.js';

const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/golden-ami-refresh-events';

function event(detailType: string, detail: Record<string, unknown>, source = 'aws.autoscaling'): string {
  return JSON.stringify({
    version: '0',
    id: 'e',
    'detail-type': `EC2 Auto Scaling Instance Refresh ${detailType}`,
    source,
    account: '123456789012',
    time: '2026-01-01T00:00:00Z',
    region: 'eu-west-1',
    resources: ['arn'],
    detail: { AutoScalingGroupName: 'web', ...detail },
  });
}

function setup() {
  const client = new SQSClient({ region: 'eu-west-1' });
  const sqs = mockClient(client);
  const clock = virtualClock();
  const log = memoryLog();
  const regions: string[] = [];
  const ctx: ActionContext = {
    clients: {
      defaultRegion: 'us-east-1',
      sqs: (r?: string) => {
        regions.push(r ?? '');
        return Promise.resolve(client);
      },
    } as unknown as AwsClients,
    clock,
    log,
    signal: new AbortController().signal,
  };
  const events = (): RefreshEvents =>
    openRefreshEvents(ctx, { queueUrl: QUEUE, region: 'eu-west-1', signal: ctx.signal });
  /** A receive takes its WaitTimeSeconds on the virtual clock, then answers `bodies` (once). */
  const answer = (...batches: string[][]) => {
    let i = 0;
    sqs.on(ReceiveMessageCommand).callsFake(async (input: ReceiveMessageCommandInput) => {
      const bodies = batches[i++];
      if (!bodies) await clock.sleep((input.WaitTimeSeconds ?? 0) * 1000);
      return { Messages: (bodies ?? []).map((Body, n) => ({ Body, ReceiptHandle: `h${i}-${n}` })) };
    });
    sqs.on(DeleteMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  };
  return { ctx, sqs, clock, log, events, answer, regions };
}

describe('refreshIdOf', () => {
  it('reads the refresh id of the actionable instance refresh events only', () => {
    expect(refreshIdOf(event('Succeeded', { InstanceRefreshId: 'r-1' }))).toBe('r-1');
    for (const t of ['Failed', 'Cancelled', 'Checkpoint Reached', 'Started Baking', 'Rollback Succeeded'])
      expect(refreshIdOf(event(t, { InstanceRefreshId: 'r-2' }))).toBe('r-2');
    // Pending → InProgress says nothing worth a look.
    expect(refreshIdOf(event('Started', { InstanceRefreshId: 'r-3' }))).toBeUndefined();
  });

  it('ignores other sources, malformed bodies and ids that are not ids', () => {
    expect(refreshIdOf(event('Succeeded', { InstanceRefreshId: 'r-1' }, 'aws.ec2'))).toBeUndefined();
    expect(refreshIdOf('not json')).toBeUndefined();
    expect(refreshIdOf(undefined)).toBeUndefined();
    expect(refreshIdOf('null')).toBeUndefined();
    expect(refreshIdOf(JSON.stringify({ source: 'aws.autoscaling' }))).toBeUndefined();
    expect(refreshIdOf(event('Succeeded', {}))).toBeUndefined();
    expect(refreshIdOf(event('Succeeded', { InstanceRefreshId: 42 }))).toBeUndefined();
    expect(refreshIdOf(event('Succeeded', { InstanceRefreshId: 'x y"; drop' }))).toBeUndefined();
  });
});

describe('openRefreshEvents', () => {
  it('long-polls, returns the ids heard at once and deletes every message it consumed', async () => {
    const { sqs, events, answer, clock, regions } = setup();
    answer([
      event('Succeeded', { InstanceRefreshId: 'r-1' }),
      'garbage',
      event('Started', { InstanceRefreshId: 'r-2' }),
    ]);
    const t0 = clock.now();
    const heard = await events().wait(60_000, new AbortController().signal);
    expect([...heard]).toEqual(['r-1']);
    expect(clock.now() - t0).toBe(0);
    expect(regions).toEqual(['eu-west-1']);
    const receive = sqs.commandCalls(ReceiveMessageCommand)[0]!.args[0].input;
    expect(receive).toEqual({ QueueUrl: QUEUE, WaitTimeSeconds: 20, MaxNumberOfMessages: 10 });
    const del = sqs.commandCalls(DeleteMessageBatchCommand)[0]!.args[0].input;
    expect(del.Entries?.map((e) => e.ReceiptHandle)).toEqual(['h1-0', 'h1-1', 'h1-2']);
  });

  it('cuts a long wait into receives of at most 20 s and returns empty when the queue stays silent', async () => {
    const { sqs, events, answer, clock } = setup();
    answer();
    const t0 = clock.now();
    const heard = await events().wait(45_000, new AbortController().signal);
    expect(heard.size).toBe(0);
    expect(clock.now() - t0).toBe(45_000);
    expect(sqs.commandCalls(ReceiveMessageCommand).map((c) => c.args[0].input.WaitTimeSeconds)).toEqual([
      20, 20, 5,
    ]);
  });

  it('a wait shorter than a second only sleeps', async () => {
    const { sqs, events, answer } = setup();
    answer();
    expect((await events().wait(800, new AbortController().signal)).size).toBe(0);
    expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
  });

  it('one long poll serves concurrent waits (one per region) and each hears what it brought', async () => {
    const { sqs, events, answer } = setup();
    answer([event('Failed', { InstanceRefreshId: 'r-9' })]);
    const e = events();
    const signal = new AbortController().signal;
    const [a, b] = await Promise.all([e.wait(30_000, signal), e.wait(40_000, signal)]);
    expect([...a]).toEqual(['r-9']);
    expect([...b]).toEqual(['r-9']);
    expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(1);
    expect(e.stats).toEqual({ receives: 1, messages: 1, heard: 1 });
  });

  it('an unreadable queue is one warning, then plain sleeps with no more receives', async () => {
    const { sqs, events, log, clock } = setup();
    sqs
      .on(ReceiveMessageCommand)
      .rejects(
        Object.assign(new Error('not authorized to perform: sqs:ReceiveMessage'), { name: 'AccessDenied' }),
      );
    const e = events();
    const signal = new AbortController().signal;
    const t0 = clock.now();
    expect((await e.wait(30_000, signal)).size).toBe(0);
    expect(e.degraded).toBe(true);
    expect((await e.wait(30_000, signal)).size).toBe(0);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(30_000);
    expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(1);
    const warnings = log.lines.filter((l) => l.includes('events-queue-url'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/not authorized.*polling the refreshes instead/);
  });

  it('rejects with AbortedError when the run is cancelled', async () => {
    const { events, answer } = setup();
    answer();
    const ac = new AbortController();
    const waiting = events().wait(30_000, ac.signal);
    ac.abort();
    await expect(waiting).rejects.toThrow(/abort|cancel/i);
  });
});

describe('refreshEventsPause', () => {
  it('stretches the pause to the safety-net interval while only refreshes run, never past the deadline, and sleeps plainly once degraded', async () => {
    const { events, answer, clock, ctx, sqs } = setup();
    answer();
    const e = events();
    const pause = refreshEventsPause(ctx, e, { safetyNetMs: 60_000, deadlineAt: clock.now() + 90_000 });
    const signal = new AbortController().signal;
    let t = clock.now();
    await pause(15_000, signal, true);
    expect(clock.now() - t).toBe(60_000);
    t = clock.now();
    await pause(5_000, signal, false); // a group is being verified: its pace, not the safety net
    expect(clock.now() - t).toBe(5_000);
    t = clock.now();
    await pause(5_000, signal, true);
    expect(clock.now() - t).toBe(25_000); // the deadline is 25 s away
    sqs.on(ReceiveMessageCommand).rejects(new Error('gone'));
    t = clock.now();
    await pause(20_000, signal, true); // fails, warns, wakes
    t = clock.now();
    await pause(15_000, signal, true);
    expect(clock.now() - t).toBe(15_000);
  });
});

describe('queue URLs', () => {
  it('takes the region from an AWS queue URL, else the action region', () => {
    expect(queueRegion(QUEUE, 'us-east-1')).toBe('eu-west-1');
    expect(queueRegion('http://127.0.0.1:4566/000000000000/q', 'us-east-1')).toBe('us-east-1');
  });

  it('accepts another host only with an endpoint override', () => {
    const none = () => undefined;
    expect(queueUrlProblem(QUEUE, none)).toBeUndefined();
    expect(queueUrlProblem('http://127.0.0.1:4566/000000000000/q', none)).toMatch(
      /events-queue-url: .* is not accepted; accepted: an SQS queue URL/,
    );
    expect(
      queueUrlProblem('http://127.0.0.1:4566/000000000000/q', (n) =>
        n === 'AWS_ENDPOINT_URL' ? 'http://127.0.0.1:4566' : undefined,
      ),
    ).toBeUndefined();
  });
});

describe('WaitOptions.pause in waitHealthy', () => {
  let cloud: HealthCloud;
  beforeAll(async () => {
    cloud = await startHealthCloud();
  });
  afterAll(() => cloud.stop());

  /** A fresh group of 4 rolled to a new image in localcloud, watched with `pause`. */
  async function fleetRun(pause?: (clock: Clock) => WaitOptions['pause']) {
    cloud.reset();
    const refreshes = await cloud.rollout({ region: 'eu-west-1', name: 'web', desired: 4 });
    return waitHealthy(cloud.context(), {
      refreshes,
      pollIntervalMs: 5000,
      maxPollIntervalMs: 30_000,
      ...(pause ? { pause: pause(cloud.clock) } : {}),
    });
  }

  it('sleeps as before when the pause hears nothing, and looks at once at a refresh it names', async () => {
    const plain = await fleetRun();
    const silent = await fleetRun((clock) => async (ms, signal) => {
      await clock.sleep(ms, signal);
      return new Set<string>();
    });
    expect(silent.groups[0]!.polls).toBe(plain.groups[0]!.polls);
    // Every pause ends after 1 s naming the refresh: it is polled each time, well before its next poll.
    const pauses: number[] = [];
    const eager = await fleetRun((clock) => async (ms, signal) => {
      pauses.push(ms);
      await clock.sleep(Math.min(ms, 1000), signal);
      return new Set([cloud.refresh('eu-west-1', 'web').id, 'someone-elses-refresh']);
    });
    expect(eager.status).toBe('healthy');
    expect(pauses.length).toBeGreaterThan(0);
    // How soon a woken refresh is looked at: wait.test.ts, "checks a refresh an event source names at once".
    expect(eager.groups[0]!.polls).toBeGreaterThan(plain.groups[0]!.polls);
  });
});
