// SQS and EventBridge in localcloud through the AWS SDK v3 (@aws-sdk/client-sqs speaks AWS JSON
// 1.0): queues, true long polling, visibility timeouts, batch deletes, query-compatible errors, and
// Auto Scaling's instance refresh events delivered to a queue by an EventBridge rule.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  StartInstanceRefreshCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { EventBridgeRule, REFRESH_EVENT_TYPES } from './sqs-events-support.js';
import { seedGroup, seedTemplateVersion } from './aws/autoscaling-seed.js';
import { start, type Localcloud } from './index.js';
import { seedImage } from './seed.js';
import { clientConfig, until } from './test-support.js';

// A bound for slow shared CI machines, not a performance assertion (bench/ measures speed).
jest.setTimeout(30_000);

const REGION = 'us-east-1';
let lc: Localcloud;
let sqs: SQSClient;

beforeAll(async () => {
  lc = await start({ durations: { instanceBoot: 50, healthCheckDelay: 50, apiSecond: 5 } });
  sqs = new SQSClient(clientConfig(lc, REGION));
});

afterAll(async () => {
  sqs.destroy();
  await lc.stop();
});

async function errorOf(promise: Promise<unknown>): Promise<{ name: string; code?: string }> {
  try {
    await promise;
  } catch (err) {
    const e = err as Error & { Code?: string };
    return { name: e.name, ...(e.Code ? { code: e.Code } : {}) };
  }
  return { name: 'no error' };
}

async function queue(name: string, attributes: Record<string, string> = {}): Promise<string> {
  return (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl!;
}

/** Waits until the group runs its desired capacity InService, so a refresh has instances to replace. */
async function inService(asg: AutoScalingClient, name: string): Promise<void> {
  await until(`${name} in service`, async () => {
    const g = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] })))
      .AutoScalingGroups?.[0];
    const up = (g?.Instances ?? []).filter((i) => i.LifecycleState === 'InService').length;
    return g && up === g.DesiredCapacity ? true : undefined;
  });
}

describe('SQS', () => {
  it('speaks AWS JSON 1.0 with AmazonSQS targets and answers queue URLs on its own endpoint', async () => {
    const url = await queue('json-protocol');
    expect(url).toBe(`${lc.url}/000000000000/json-protocol`);
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: 'json-protocol' }))).QueueUrl).toBe(url);
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
    );
    expect(attrs.Attributes).toEqual({ QueueArn: 'arn:aws:sqs:us-east-1:000000000000:json-protocol' });
    const res = await fetch(lc.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AmazonSQS.GetQueueUrl',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=x',
      },
      body: JSON.stringify({ QueueName: 'nowhere' }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    expect(res.headers.get('x-amzn-query-error')).toBe('AWS.SimpleQueueService.NonExistentQueue;Sender');
  });

  it('a missing queue is QueueDoesNotExist with the query code AWS.SimpleQueueService.NonExistentQueue', async () => {
    const err = await errorOf(
      sqs.send(new ReceiveMessageCommand({ QueueUrl: `${lc.url}/000000000000/missing`, WaitTimeSeconds: 1 })),
    );
    expect(err).toEqual({ name: 'QueueDoesNotExist', code: 'AWS.SimpleQueueService.NonExistentQueue' });
  });

  it('a long poll returns as soon as a message arrives, and empty when WaitTimeSeconds ends', async () => {
    const url = await queue('long-poll');
    const t0 = Date.now();
    const empty = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }));
    expect(empty.Messages ?? []).toEqual([]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);

    const t1 = Date.now();
    const receiving = sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));
    await new Promise((r) => setTimeout(r, 200));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'hello' }));
    const got = await receiving;
    expect(got.Messages?.map((m) => m.Body)).toEqual(['hello']);
    expect(Date.now() - t1).toBeLessThan(2_000);
  });

  it('a long poll stops waiting when the client aborts the request', async () => {
    const url = await queue('abort');
    const ac = new AbortController();
    const receiving = sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }), {
      abortSignal: ac.signal,
    });
    await new Promise((r) => setTimeout(r, 100));
    ac.abort();
    expect((await errorOf(receiving)).name).toBe('AbortError');
    // The abandoned poll took nothing: the next message goes to the next receiver.
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'after' }));
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }));
    expect(got.Messages?.map((m) => m.Body)).toEqual(['after']);
  });

  it('hides a received message for VisibilityTimeout, then delivers it again until deleted', async () => {
    const url = await queue('visibility');
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'm' }));
    const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 200 }));
    expect(first.Messages).toHaveLength(1);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages ?? []).toEqual([]);
    // 200 API seconds are 1 s of world time here (apiSecond: 5): long enough for a loaded machine.
    const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 3 }));
    expect(again.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    await sqs.send(
      new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: again.Messages![0]!.ReceiptHandle }),
    );
    // Deleting twice, or with the older handle, succeeds.
    await sqs.send(
      new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.Messages![0]!.ReceiptHandle }),
    );
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    expect(attrs.Attributes?.ApproximateNumberOfMessages).toBe('0');
  });

  it('DeleteMessageBatch deletes up to 10 entries and reports bad handles per entry', async () => {
    const url = await queue('batch');
    for (let i = 0; i < 3; i++)
      await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `${i}` }));
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(got.Messages).toHaveLength(3);
    const out = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          ...got.Messages!.map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle })),
          { Id: 'bad', ReceiptHandle: 'nonsense' },
        ],
      }),
    );
    expect(out.Successful?.map((s) => s.Id)).toEqual(['m0', 'm1', 'm2']);
    expect(out.Failed?.map((f) => [f.Id, f.Code])).toEqual([['bad', 'ReceiptHandleIsInvalid']]);
    const tooMany = Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, ReceiptHandle: 'x' }));
    expect(
      (await errorOf(sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: tooMany })))).name,
    ).toBe('TooManyEntriesInBatchRequest');
  });

  it('refuses MaxNumberOfMessages above 10 and WaitTimeSeconds above 20', async () => {
    const url = await queue('limits');
    for (const input of [{ MaxNumberOfMessages: 11 }, { WaitTimeSeconds: 21 }])
      expect((await errorOf(sqs.send(new ReceiveMessageCommand({ QueueUrl: url, ...input })))).name).toBe(
        'InvalidParameterValue',
      );
  });

  it('queues are per region, as SQS endpoints are independent', async () => {
    await queue('regional');
    const other = new SQSClient(clientConfig(lc, 'eu-west-1'));
    try {
      expect((await errorOf(other.send(new GetQueueUrlCommand({ QueueName: 'regional' })))).name).toBe(
        'QueueDoesNotExist',
      );
    } finally {
      other.destroy();
    }
  });

  it('faults apply to SQS as to every service', async () => {
    const url = await queue('faulty');
    lc.faults.add({ service: 'sqs', operation: 'ReceiveMessage', kind: 'throttle', count: 1 });
    try {
      expect((await errorOf(sqs.send(new ReceiveMessageCommand({ QueueUrl: url })))).name).toBe(
        'ThrottlingException',
      );
    } finally {
      lc.faults.clear();
    }
  });
});

describe('EventBridge', () => {
  it('delivers instance refresh events matching a rule to its SQS target, the event JSON as the body', async () => {
    const url = await queue('refresh-events');
    const arn = `arn:aws:sqs:${REGION}:000000000000:refresh-events`;
    const rule = new EventBridgeRule(lc, REGION);
    await rule.put(
      'refresh-events',
      { source: ['aws.autoscaling'], 'detail-type': REFRESH_EVENT_TYPES },
      arn,
    );
    // Another rule for a different group only: its queue hears nothing.
    const otherUrl = await queue('other-group');
    await rule.put(
      'other-group',
      { source: ['aws.autoscaling'], detail: { AutoScalingGroupName: ['someone-else'] } },
      `arn:aws:sqs:${REGION}:000000000000:other-group`,
    );

    const region = lc.world.region(REGION);
    const oldImage = seedImage(region, { name: 'ev-old' }).imageId;
    const newImage = seedImage(region, { name: 'ev-new' }).imageId;
    const g = seedGroup(lc.world, REGION, {
      name: 'ev-web',
      imageId: oldImage,
      desired: 1,
      targetGroup: false,
    });
    seedTemplateVersion(lc.world, REGION, g.launchTemplateId, { imageId: newImage });
    const asg = new AutoScalingClient(clientConfig(lc, REGION));
    try {
      await inService(asg, 'ev-web');
      const { InstanceRefreshId: id } = await asg.send(
        new StartInstanceRefreshCommand({
          AutoScalingGroupName: 'ev-web',
          DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: g.launchTemplateId, Version: '2' } },
          Preferences: { MinHealthyPercentage: 0, InstanceWarmup: 0, SkipMatching: false },
        }),
      );
      const bodies: Record<string, unknown>[] = [];
      for (let i = 0; i < 20 && !bodies.some((b) => String(b['detail-type']).endsWith('Succeeded')); i++) {
        // Not deleted, so hidden for the longest visibility timeout: the default 30 s is world time
        // (an API second is 20 ms here), and a message received but not deleted comes back after it.
        const got = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            WaitTimeSeconds: 1,
            MaxNumberOfMessages: 10,
            VisibilityTimeout: 43_200,
          }),
        );
        for (const m of got.Messages ?? []) bodies.push(JSON.parse(m.Body!) as Record<string, unknown>);
      }
      expect(bodies.map((b) => b['detail-type'])).toEqual([
        'EC2 Auto Scaling Instance Refresh Started',
        'EC2 Auto Scaling Instance Refresh Succeeded',
      ]);
      expect(bodies[1]).toEqual({
        version: '0',
        id: expect.any(String),
        'detail-type': 'EC2 Auto Scaling Instance Refresh Succeeded',
        source: 'aws.autoscaling',
        account: '000000000000',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        region: REGION,
        resources: [expect.stringMatching(/^arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:/)],
        detail: { InstanceRefreshId: id, AutoScalingGroupName: 'ev-web' },
      });
      expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: otherUrl }))).Messages ?? []).toEqual([]);
    } finally {
      asg.destroy();
      rule.destroy();
    }
  });

  it('a checkpoint sends Checkpoint Reached with its percentage and delay', async () => {
    const url = await queue('checkpoint-events');
    const rule = new EventBridgeRule(lc, REGION);
    await rule.put(
      'checkpoint-events',
      {
        source: ['aws.autoscaling'],
        'detail-type': ['EC2 Auto Scaling Instance Refresh Checkpoint Reached'],
      },
      `arn:aws:sqs:${REGION}:000000000000:checkpoint-events`,
    );
    const region = lc.world.region(REGION);
    const g = seedGroup(lc.world, REGION, {
      name: 'cp-web',
      imageId: seedImage(region, { name: 'cp-old' }).imageId,
      desired: 2,
      targetGroup: false,
    });
    seedTemplateVersion(lc.world, REGION, g.launchTemplateId, {
      imageId: seedImage(region, { name: 'cp-new' }).imageId,
    });
    const asg = new AutoScalingClient(clientConfig(lc, REGION));
    try {
      await inService(asg, 'cp-web');
      await asg.send(
        new StartInstanceRefreshCommand({
          AutoScalingGroupName: 'cp-web',
          DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: g.launchTemplateId, Version: '2' } },
          Preferences: {
            MinHealthyPercentage: 50,
            InstanceWarmup: 0,
            CheckpointPercentages: [50, 100],
            CheckpointDelay: 3600,
          },
        }),
      );
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 10 }));
      const body = JSON.parse(got.Messages![0]!.Body!) as { detail: Record<string, string> };
      expect(body.detail).toEqual({
        InstanceRefreshId: expect.any(String),
        AutoScalingGroupName: 'cp-web',
        CheckpointPercentage: '50',
        CheckpointDelay: '3600',
      });
    } finally {
      asg.destroy();
      rule.destroy();
    }
  });

  it('PutRule refuses an event pattern that is not JSON', async () => {
    const rule = new EventBridgeRule(lc, REGION);
    try {
      expect((await errorOf(rule.putRaw('bad', '{not json'))).name).toBe('InvalidEventPatternException');
    } finally {
      rule.destroy();
    }
  });
});
