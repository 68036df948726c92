import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { AwsClients } from '../../../src/aws/clients.js';
import { HealthApi } from '../../../src/health/aws-calls.js';
import { RequestBudget, TokenBucket } from '../../../src/health/budget.js';
import { virtualClock } from '../support/virtual-clock.js';

describe('TokenBucket', () => {
  it('spaces concurrent takers 1/rate apart, so no second holds more than the rate', async () => {
    const clock = virtualClock(0);
    const bucket = new TokenBucket(clock, 4);
    const at: number[] = [];
    await Promise.all(Array.from({ length: 10 }, () => bucket.take().then(() => at.push(clock.now()))));
    expect(at).toEqual([0, 250, 500, 750, 1000, 1250, 1500, 1750, 2000, 2250]);
    expect(bucket.granted).toBe(10);
  });

  it('does not save up idle time into a burst', async () => {
    const clock = virtualClock(0);
    const bucket = new TokenBucket(clock, 2);
    await bucket.take();
    await clock.sleep(10_000);
    const at: number[] = [];
    await Promise.all([1, 2, 3].map(() => bucket.take().then(() => at.push(clock.now()))));
    expect(at).toEqual([10_000, 10_500, 11_000]);
  });

  it('keeps one bucket per service and region', () => {
    const budget = new RequestBudget(virtualClock(0), 2);
    expect(budget.bucket('autoscaling', 'eu-west-1')).toBe(budget.bucket('autoscaling', 'eu-west-1'));
    expect(budget.bucket('autoscaling', 'eu-west-1')).not.toBe(budget.bucket('autoscaling', 'us-east-1'));
    expect(budget.bucket('ec2', 'eu-west-1')).not.toBe(budget.bucket('autoscaling', 'eu-west-1'));
  });
});

describe('HealthApi request budget', () => {
  let server: Server;
  let url: string;
  const arrivals: number[] = [];
  const clock = virtualClock(0);
  beforeAll(async () => {
    let n = 0;
    server = createServer((req, res) => {
      arrivals.push(clock.now());
      req.resume();
      req.on('end', () => {
        if (++n <= 2) {
          res.writeHead(400, { 'content-type': 'text/xml' });
          res.end(
            '<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>',
          );
          return;
        }
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          '<DescribeInstanceRefreshesResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><DescribeInstanceRefreshesResult><InstanceRefreshes><member><InstanceRefreshId>r-1</InstanceRefreshId><AutoScalingGroupName>web</AutoScalingGroupName><Status>Successful</Status></member></InstanceRefreshes></DescribeInstanceRefreshesResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeInstanceRefreshesResponse>',
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('charges every SDK retry to the budget, not just the first attempt', async () => {
    // Retries without backoff so only the budget spaces them.
    const token = (n: number) => ({ getRetryCount: () => n, getRetryDelay: () => 0 });
    const retryStrategy = {
      mode: 'standard',
      acquireInitialRetryToken: async () => token(0),
      refreshRetryTokenForRetry: async (t: ReturnType<typeof token>) => {
        if (t.getRetryCount() >= 2) throw new Error('out of retries');
        return token(t.getRetryCount() + 1);
      },
      recordSuccess: () => undefined,
    };
    const client = new AutoScalingClient({
      region: 'eu-west-1',
      endpoint: url,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      retryStrategy,
    });
    const clients = { defaultRegion: 'eu-west-1', autoScaling: () => client } as unknown as AwsClients;
    const budget = new RequestBudget(clock, 2);
    const api = new HealthApi(clients, budget, new AbortController().signal);

    const refresh = await api.refresh('eu-west-1', 'web', 'r-1');

    expect(refresh?.Status).toBe('Successful');
    expect(arrivals).toHaveLength(3);
    expect(budget.counts()).toEqual({ 'autoscaling:eu-west-1': 3 });
    expect(arrivals[1]! - arrivals[0]!).toBeGreaterThanOrEqual(500);
    expect(arrivals[2]! - arrivals[1]!).toBeGreaterThanOrEqual(500);
    client.destroy();
  });
});
