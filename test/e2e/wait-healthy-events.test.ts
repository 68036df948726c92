// wait-healthy's events-queue-url through dist/, against localcloud: an SQS queue fed by the
// README's EventBridge rule (put through localcloud's EventBridge API). A finished refresh is looked
// at within about a tick of its event, with fewer DescribeInstanceRefreshes than polling; a queue
// that cannot be read is one warning and the wait polls to the same outcome.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { localcloudEnv, runActionStep } from '../harness/run-action.js';
import { asgRegionOf } from '../localcloud/aws/autoscaling-platform.js';
import { start } from '../localcloud/index.js';
import { baseImageId, seedImage } from '../localcloud/seed.js';
import { REGION as FLEET_REGION, seedFleet } from '../workflow/fleet.js';
import { EventBridgeRule, REFRESH_EVENT_TYPES } from '../localcloud/sqs-events-support.js';
import { startRollout } from './refresh-rollout.js';

jest.setTimeout(120_000);

type Cloud = Awaited<ReturnType<typeof start>>;
let lc: Cloud;
const region = 'us-east-1';
const credentials = {
  accessKeyId: 'AKIALOCALCLOUD000000',
  secretAccessKey: 'localcloud-secret-key-do-not-use-000000',
};
let asg: AutoScalingClient;
let sqs: SQSClient;
let queueUrl: string;

beforeAll(async () => {
  // Instances boot in 1.5 s, so a refresh outlasts the wait's start even on a loaded machine (at
  // 0.3 s one could end before the wait's first look, which then heard no event).
  lc = await start({ port: 0, durations: { instanceBoot: 1500 } });
  asg = new AutoScalingClient({ region, endpoint: lc.url, credentials });
  sqs = new SQSClient({ region, endpoint: lc.url, credentials });
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'golden-ami-refresh-events-e2e' })))
    .QueueUrl!;
  await new EventBridgeRule(lc, region).put(
    'golden-ami-refresh-events',
    { source: ['aws.autoscaling'], 'detail-type': REFRESH_EVENT_TYPES },
    `arn:aws:sqs:${region}:000000000000:golden-ami-refresh-events-e2e`,
  );
});
afterAll(async () => {
  asg?.destroy();
  sqs?.destroy();
  await lc?.stop();
});

/** A group of 3 healthy instances, then a refresh to a new image: roll-asg's record for it. */
async function rollout(name: string): Promise<Record<string, string>> {
  const w = lc.world.region(region);
  const from = seedImage(w, { name: `${name}-v1` }).imageId;
  const to = seedImage(w, { name: `${name}-v2` }).imageId;
  return startRollout({ lc, asg, region }, name, from, to);
}

/**
 * The group's DescribeInstanceRefreshes calls, and how long after the refresh ended the wait
 * reported the group (its result's endedAt): the end is seen in a read of the refresh or in the
 * group taking the refresh's desired configuration, whichever comes first.
 */
function watchCost(group: string, refreshId: string, results: string | undefined) {
  const calls = lc.logs.calls
    .query({ service: 'autoscaling', operation: 'DescribeInstanceRefreshes' })
    .filter((c) => (c.params as { AutoScalingGroupName?: string }).AutoScalingGroupName === group);
  const refresh = asgRegionOf(lc.world.region(region))
    .refreshesOf(group)
    .find((r) => r.id === refreshId);
  const endedAt = refresh?.endTime ?? Infinity;
  const reported = (JSON.parse(results ?? '[]') as { group: string; endedAt: string }[]).find(
    (g) => g.group === group,
  );
  const lagMs = reported ? Date.parse(reported.endedAt) - endedAt : Infinity;
  return { calls: calls.length, lagMs, status: refresh?.status };
}

// Polls at least every 0.5 s and at most every 6 s; with a queue the 6 s are the safety net.
const pace = {
  'poll-interval': '0.5',
  'max-poll-interval': '6',
  'max-requests-per-second': '10',
};
// The read a provable refresh gets every max-poll-interval: at 6 s it lands within a tick of a
// refresh that lasts about 6.5 s, before its end in one run and after it in the other, so the two
// counts differed by that coincidence alone. At 30 s no such read falls inside either refresh.
const unhurried = { ...pace, 'max-poll-interval': '30' };
const env = () => localcloudEnv(lc.url, region);

describe('wait-healthy with events-queue-url', () => {
  it('looks at a finished refresh within about a tick of its event, with no more DescribeInstanceRefreshes than polling', async () => {
    const withEvents = await rollout('events-web');
    const r = await runActionStep('wait-healthy', {
      env: env(),
      inputs: { refreshes: JSON.stringify([withEvents]), 'events-queue-url': queueUrl, ...unhurried },
    });
    expect(r.errors).toEqual([]);
    expect(r.outputs.status).toBe('healthy');
    expect(r.log).toMatch(
      /events-queue-url: \d+ receive\(s\), \d+ message\(s\), [1-9]\d* refresh event\(s\) heard/,
    );
    const events = watchCost('events-web', withEvents.refreshId!, r.outputs.results);

    const polled = await rollout('polling-web');
    const p = await runActionStep('wait-healthy', {
      env: env(),
      inputs: { refreshes: JSON.stringify([polled]), ...unhurried },
    });
    expect(p.outputs.status).toBe('healthy');
    const polling = watchCost('polling-web', polled.refreshId!, p.outputs.results);

    console.log(
      `events: ${events.calls} DescribeInstanceRefreshes, lag ${events.lagMs} ms; ` +
        `polling: ${polling.calls} DescribeInstanceRefreshes, lag ${polling.lagMs} ms`,
    );
    expect(events.status).toBe('Successful');
    // The event arrives on the tick the refresh ends; the look follows it at once, and proves the
    // refresh Successful from the group's switch (no read) as polling does.
    expect(events.lagMs).toBeLessThan(1_000);
    expect(events.calls).toBeLessThanOrEqual(polling.calls);
  });

  it('a queue that cannot be read is one warning, and the wait polls to the same outcome', async () => {
    const record = await rollout('events-missing-queue');
    const r = await runActionStep('wait-healthy', {
      env: env(),
      inputs: {
        refreshes: JSON.stringify([record]),
        'events-queue-url': `${lc.url}/000000000000/no-such-queue`,
        ...pace,
      },
    });
    expect(r.errors).toEqual([]);
    expect(r.outputs.status).toBe('healthy');
    const warnings = r.warnings.filter((w) => w.includes('events-queue-url'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/does not exist.*polling the refreshes instead/);
    expect(r.log).toContain('fell back to polling');
  });

  it('refuses a queue URL on another host when no endpoint override is set', async () => {
    const { AWS_ENDPOINT_URL: _, ...noEndpoint } = env();
    const r = await runActionStep('wait-healthy', {
      env: noEndpoint,
      inputs: { 'asg-names': 'web', 'events-queue-url': 'http://127.0.0.1:1/000000000000/q' },
    });
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toMatch(/events-queue-url: .* is not accepted; accepted: an SQS queue URL/);
  });
});

describe('deploy-ami with events-queue-url', () => {
  it('proves the environment healthy hearing the refresh events, and says so in the log', async () => {
    const cloud = await start({ port: 0, seed: 21 });
    const fleet = await seedFleet(cloud);
    const client = new SQSClient({ region: FLEET_REGION, endpoint: cloud.url, credentials });
    try {
      const url = (await client.send(new CreateQueueCommand({ QueueName: 'golden-ami-refresh-events-prod' })))
        .QueueUrl!;
      await new EventBridgeRule(cloud, FLEET_REGION).put(
        'golden-ami-refresh-events',
        { source: ['aws.autoscaling'], 'detail-type': REFRESH_EVENT_TYPES },
        `arn:aws:sqs:${FLEET_REGION}:000000000000:golden-ami-refresh-events-prod`,
      );
      const r = await runActionStep('deploy-ami', {
        inputs: {
          'ami-id': baseImageId(FLEET_REGION, 'al2023-ami-2023.6.20241111.0-kernel-6.1-x86_64'),
          'parameter-name': '/golden-ami/web',
          environment: 'production',
          // Amazon's image, which this pipeline did not bake.
          'allow-foreign-ami': true,
          // deploy-ami keeps wait-healthy's 2 requests/s: a round of reads takes about 3 s, so a
          // shorter interval leaves no pause between rounds for an event to end.
          'poll-interval': '3',
          'max-poll-interval': '5',
          'events-queue-url': url,
        },
        env: localcloudEnv(cloud.url, FLEET_REGION),
      });
      expect(r.errors).toEqual([]);
      expect(r.outputs.status).toBe('healthy');
      expect(r.log).toMatch(
        /events-queue-url: \d+ receive\(s\), \d+ message\(s\), [1-9]\d* refresh event\(s\) heard/,
      );
    } finally {
      client.destroy();
      fleet.stop();
      await cloud.stop();
    }
  });
});
