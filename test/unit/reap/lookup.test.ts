// The EC2 lookup behind reap: regions side by side, a bounded number of batches in flight per
// region, and the same answer and the same reported failure whatever order the calls return in.
// It stays on aws-sdk-client-mock: it counts the batches in flight per region and makes later
// batches answer first, which localcloud (one answer per request, no in-flight view) cannot stage
// exactly. reap.test.ts runs the lookup against localcloud's EC2.
import { afterEach, describe, expect, it } from '@jest/globals';
import { DescribeInstancesCommand, EC2Client, type DescribeInstancesCommandInput } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { LOOKUP_CONCURRENCY, lookupInstances } from '../../../src/reap/instances.js';

const id = (n: number) => `i-${n.toString(16).padStart(17, '0')}`;
const keys = Array.from({ length: 2000 }, (_, i) => id(i)); // 10 batches of 200
const mock = mockClient(EC2Client);
afterEach(() => {
  mock.reset();
});

const clients = new Map<string, EC2Client>();
const ec2 = (region: string) => {
  if (!clients.has(region))
    clients.set(region, new EC2Client({ region, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }));
  return clients.get(region)!;
};

/** Answers each batch after a delay that makes later batches come back first. */
function fakeEc2(fail: (region: string, first: string) => boolean = () => false) {
  const inFlight = new Map<string, number>();
  const peak = new Map<string, number>();
  let peakAll = 0;
  mock.on(DescribeInstancesCommand).callsFake(async (input: DescribeInstancesCommandInput, getClient) => {
    const region = await (getClient as () => EC2Client)().config.region();
    const values = input.Filters?.[0]?.Values ?? [];
    inFlight.set(region, (inFlight.get(region) ?? 0) + 1);
    peak.set(region, Math.max(peak.get(region) ?? 0, inFlight.get(region)!));
    peakAll = Math.max(
      peakAll,
      [...inFlight.values()].reduce((a, b) => a + b, 0),
    );
    const batch = keys.indexOf(values[0]!) / 200;
    await new Promise((r) => setTimeout(r, 30 - batch * 3));
    inFlight.set(region, inFlight.get(region)! - 1);
    if (fail(region, values[0]!))
      throw Object.assign(new Error('We encountered an internal error.'), {
        name: 'InternalError',
        $metadata: { httpStatusCode: 500, requestId: `req-${batch + 1}` },
      });
    // Every instance is terminated in us-east-1 and running in eu-west-1.
    const state = region === 'eu-west-1' ? 'running' : 'terminated';
    return {
      Reservations: [{ Instances: values.map((v) => ({ InstanceId: v, State: { Name: state as never } })) }],
    };
  });
  return { peak, peakAll: () => peakAll };
}

describe('lookupInstances', () => {
  it('asks regions side by side with at most LOOKUP_CONCURRENCY batches in flight per region', async () => {
    const f = fakeEc2();
    const r = await lookupInstances(ec2, ['us-east-1', 'eu-west-1'], keys, 'instance-id');
    expect(r.calls).toBe(20);
    expect(f.peak.get('us-east-1')).toBe(LOOKUP_CONCURRENCY);
    expect(f.peak.get('eu-west-1')).toBe(LOOKUP_CONCURRENCY);
    expect(f.peakAll()).toBe(2 * LOOKUP_CONCURRENCY);
    // The most alive state wins, whichever region answered first.
    expect(new Set([...r.facts.values()].map((x) => `${x.state} ${x.region}`))).toEqual(
      new Set(['running eu-west-1']),
    );
    expect(r.facts.size).toBe(2000);
  });

  it('reports the first failing batch in order even when a later batch failed first', async () => {
    fakeEc2((region, first) => region === 'us-east-1' && [id(400), id(800)].includes(first));
    const err = await lookupInstances(ec2, ['us-east-1', 'eu-west-1'], keys, 'instance-id').catch(
      (e: unknown) => e,
    );
    // Batch 5 (values from id(800)) answers before batch 3 (from id(400)); batch 3 is reported.
    expect((err as Error).message).toMatch(
      /^EC2 DescribeInstances in us-east-1 \(batch 3 of 10\): We encountered an internal error\. \(code InternalError, request id req-3\)/,
    );
  });
});
