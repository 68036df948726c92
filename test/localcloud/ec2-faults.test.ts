// localcloud's control API and fault injection, driven over HTTP as a user or the demo would:
// throttling the SDK retries through, exact fault sequences, 5xx, dropped connections, latency,
// seeding, durations, the clock, reset, and the call and mutation logs.
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { start, type Localcloud } from './index.js';
import type { CallRecord, MutationRecord } from './logs.js';
import { baseImageId } from './seed.js';
import { clientConfig } from './test-support.js';

// A bound for slow shared CI machines, not a performance assertion (bench/ measures speed).
jest.setTimeout(30_000);

let lc: Localcloud;

beforeAll(async () => {
  lc = await start({ seed: 7 });
});

afterAll(async () => {
  await lc.stop();
});

beforeEach(async () => {
  await control('POST', '/reset');
});

async function control<T = Record<string, unknown>>(
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${lc.url}/_localcloud${path}`, {
    method,
    ...(body !== undefined
      ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
      : {}),
  });
  const json = (await res.json()) as T;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function calls(operation: string): Promise<CallRecord[]> {
  return (await control<{ calls: CallRecord[] }>('GET', `/calls?operation=${operation}`)).calls;
}

function ec2Client(maxAttempts: number) {
  return new EC2Client({ ...clientConfig(lc), maxAttempts, retryMode: 'standard' });
}

describe('faults', () => {
  it('throttles by exact sequence with RequestLimitExceeded, and the SDK retries through it', async () => {
    await control('POST', '/faults', {
      service: 'ec2',
      operation: 'DescribeImages',
      kind: 'throttle',
      sequence: 'xx',
    });
    const ec2 = ec2Client(3);
    const out = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    expect(out.Images!.length).toBeGreaterThan(0);
    expect(out.$metadata.attempts).toBe(3);
    expect((await calls('DescribeImages')).map((c) => [c.status, c.errorCode ?? null])).toEqual([
      [503, 'RequestLimitExceeded'],
      [503, 'RequestLimitExceeded'],
      [200, null],
    ]);
    ec2.destroy();
  });

  it('fails with 500/503 per service protocol and stops after count', async () => {
    await control('POST', '/faults', {
      rules: [
        { service: 'ssm', kind: 'error', status: 503, count: 1 },
        { service: 'ec2', operation: 'Describe*', kind: 'error', status: 500, count: 1 },
      ],
    });
    const ssm = new SSMClient(clientConfig(lc));
    const ssmError = await ssm
      .send(
        new GetParameterCommand({
          Name: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
        }),
      )
      .catch((e: Error) => e);
    expect((ssmError as Error).name).toBe('ServiceUnavailable');
    const ec2 = ec2Client(1);
    const ec2Error = await ec2.send(new DescribeInstancesCommand({})).catch((e: Error) => e);
    expect((ec2Error as Error).name).toBe('InternalError');
    // count: 1 — the next calls pass.
    await ec2.send(new DescribeInstancesCommand({}));
    await ssm.send(
      new GetParameterCommand({
        Name: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
      }),
    );
    ssm.destroy();
    ec2.destroy();
  });

  it('drops connections and adds latency, marking both in the call log', async () => {
    await control('POST', '/faults', {
      rules: [
        { operation: 'DescribeInstances', kind: 'drop', sequence: 'x' },
        { operation: 'DescribeInstances', kind: 'latency', latencyMs: 20 },
      ],
    });
    const ec2 = ec2Client(1);
    const dropped = await ec2.send(new DescribeInstancesCommand({})).catch((e: Error) => e);
    expect(dropped).toBeInstanceOf(Error);
    await ec2.send(new DescribeInstancesCommand({}));
    expect((await calls('DescribeInstances')).map((c) => [c.status, c.fault])).toEqual([
      [0, 'drop'],
      [200, 'latency'],
    ]);
    ec2.destroy();
  });

  it('repeats a rate-based fault pattern for the same seed', async () => {
    const pattern = async () => {
      await control('POST', '/reset');
      await control('POST', '/faults', { operation: 'DescribeImages', kind: 'throttle', rate: 0.5 });
      const ec2 = ec2Client(1);
      const outcomes: string[] = [];
      for (let i = 0; i < 12; i++) {
        outcomes.push(
          await ec2.send(new DescribeImagesCommand({ Owners: ['self'] })).then(
            () => '.',
            () => 'x',
          ),
        );
      }
      ec2.destroy();
      return outcomes.join('');
    };
    const first = await pattern();
    expect(first).toMatch(/x/);
    expect(first).toMatch(/\./);
    expect(await pattern()).toBe(first);
  });

  it('can fail a call after it took effect, so a retry sees the effect', async () => {
    lc.control.addFaults({
      service: 'ec2',
      operation: 'RunInstances',
      kind: 'error',
      status: 503,
      after: true,
      count: 1,
    });
    const ec2 = ec2Client(1);
    const ami = baseImageId('us-east-1', 'al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64');
    const err = await ec2
      .send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1 }))
      .catch((e: Error) => e);
    expect((err as Error).name).toBe('Unavailable');
    expect(lc.control.state().instances).toHaveLength(1);
    expect((await calls('RunInstances')).map((c) => [c.status, c.fault])).toEqual([[503, 'error-after']]);
    const mutations = (
      await control<{ mutations: MutationRecord[] }>('GET', '/mutations?operation=RunInstances')
    ).mutations;
    expect(mutations).toHaveLength(1);
    ec2.destroy();
  });

  it('holds the n-th matching call before it is applied; rules added meanwhile apply to it; release lets it go', async () => {
    const ami = baseImageId('us-east-1', 'al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64');
    const rule = lc.faults.add({ service: 'ec2', operation: 'RunInstances', kind: 'hold', sequence: '.x' });
    const ec2 = ec2Client(1);
    const launch = () => ec2.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1 }));
    await launch(); // the first passes
    let arrived = false;
    void lc.faults.arrived(rule.id).then(() => (arrived = true));
    const second = launch().catch((e: Error) => e);
    await lc.faults.arrived(rule.id);
    expect(arrived).toBe(true);
    // Held before anything happened to it: not applied, not logged.
    expect(lc.control.state().instances).toHaveLength(1);
    expect(await calls('RunInstances')).toHaveLength(1);
    lc.faults.add({ service: 'ec2', operation: 'RunInstances', kind: 'error', status: 500, count: 1 });
    await control('POST', '/faults/release', { id: rule.id });
    expect(((await second) as Error).name).toBe('InternalError');
    expect(lc.control.state().instances).toHaveLength(1);
    await launch(); // released and the error spent: later calls pass
    expect(lc.control.state().instances).toHaveLength(2);
    expect((await calls('RunInstances')).map((c) => c.status)).toEqual([200, 500, 200]);
    await expect(control('POST', '/faults/release', { id: rule.id })).rejects.toThrow(/404/);
    await expect(control('POST', '/faults', { service: 'octopus', kind: 'hold' })).rejects.toThrow(/400/);
    ec2.destroy();
  });

  it('answers a client error (AccessDenied) with status 400/403 and its code; the SDK does not retry it', async () => {
    lc.faults.add({
      service: 'ssm',
      operation: 'GetParameter',
      kind: 'error',
      status: 400,
      code: 'AccessDeniedException',
    });
    const ssm = new SSMClient({ ...clientConfig(lc), maxAttempts: 3 });
    const err = await ssm.send(new GetParameterCommand({ Name: '/nope' })).catch((e: Error) => e);
    expect((err as Error).name).toBe('AccessDeniedException');
    expect((await calls('GetParameter')).map((c) => [c.status, c.errorCode])).toEqual([
      [400, 'AccessDeniedException'],
    ]);
    ssm.destroy();
  });

  it('a hold ends by itself after latencyMs', async () => {
    lc.faults.add({ service: 'ssm', operation: 'GetParameter', kind: 'hold', latencyMs: 50 });
    const ssm = new SSMClient({ ...clientConfig(lc), maxAttempts: 1 });
    const t = Date.now();
    const err = await ssm.send(new GetParameterCommand({ Name: '/nope' })).catch((e: Error) => e);
    expect(Date.now() - t).toBeGreaterThanOrEqual(45);
    expect((err as Error).name).toBe('ParameterNotFound');
    ssm.destroy();
  });

  it('rejects malformed rules', async () => {
    await expect(control('POST', '/faults', { kind: 'explode' })).rejects.toThrow(/400/);
    await expect(control('POST', '/faults', { kind: 'throttle', sequence: 'xyz' })).rejects.toThrow(/400/);
  });
});

describe('control API', () => {
  it('seeds images and parameters, logs mutations, and reset forgets them', async () => {
    const seeded = await control<{ images: { imageId: string }[] }>('POST', '/seed', {
      images: [{ name: 'seeded-golden', version: '4.2.0', health: 'unhealthy' }],
      parameters: [{ name: '/golden/current', value: 'ami-0123456789abcdef0' }],
    });
    const imageId = seeded.images[0]!.imageId;
    const ec2 = ec2Client(1);
    const image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images![0]!;
    expect(image.Tags).toEqual([
      // Seeded as if baked: the bake id promote-ami-parameter and deploy-ami require.
      { Key: 'golden-ami:bake-id', Value: `seed-${imageId}` },
      { Key: 'localcloud:version', Value: '4.2.0' },
      { Key: 'localcloud:health', Value: 'unhealthy' },
    ]);
    await ec2.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1 }));
    const mutations = (await control<{ mutations: MutationRecord[] }>('GET', '/mutations?service=ec2'))
      .mutations;
    expect(mutations.map((m) => m.operation)).toEqual(['RunInstances']);
    const state = await control<{ instances: { healthy: boolean; version: string }[] }>('GET', '/state');
    expect(state.instances.map((i) => [i.healthy, i.version])).toEqual([[false, '4.2.0']]);

    await control('POST', '/reset');
    const after = await control<{ instances: unknown[]; parameters: unknown[] }>('GET', '/state');
    expect([after.instances, after.parameters]).toEqual([[], []]);
    expect((await control<{ calls: unknown[] }>('GET', '/calls')).calls).toEqual([]);
    ec2.destroy();
  });

  it('sets durations, advances the clock past them, and deregisters a public AMI', async () => {
    await control('POST', '/durations', { instanceBoot: 3_600_000 });
    const ec2 = ec2Client(1);
    const ami = baseImageId('us-east-1', 'al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64');
    const run = await ec2.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1 }));
    await control('POST', '/clock/advance', { ms: 3_600_000 });
    const state = await control<{ instances: { state: string }[] }>('GET', '/state');
    expect(state.instances.map((i) => i.state)).toEqual(['running']);
    expect(run.Instances![0]!.State?.Name).toBe('pending');

    await control('POST', '/images/deregister', { imageId: ami });
    const err = await ec2
      .send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1 }))
      .catch((e: Error) => e);
    expect((err as Error).name).toBe('InvalidAMIID.NotFound');
    await expect(control('POST', '/durations', { bogus: 1 })).rejects.toThrow(/unknown duration/);
    await control('POST', '/durations', { preset: 'default' });
    ec2.destroy();
  });

  it('enforces an IAM policy set through the control API until it is lifted', async () => {
    const ami = baseImageId('us-east-1', 'al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64');
    await control('POST', '/iam', {
      policy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'ec2:Describe*', Resource: '*' }],
      },
    });
    const ec2 = ec2Client(1);
    await ec2.send(new DescribeImagesCommand({ ImageIds: [ami] }));
    const denied = await ec2
      .send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1 }))
      .catch((e: Error) => e);
    expect((denied as Error).name).toBe('UnauthorizedOperation');
    expect(lc.control.state().instances).toEqual([]);
    await control('POST', '/iam', { policy: null });
    await ec2.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1 }));
    expect(lc.control.state().instances).toHaveLength(1);
    await expect(control('POST', '/iam', { policy: { Statement: 'nonsense' } })).rejects.toThrow(/400/);
    ec2.destroy();
  });

  it('seeds Octopus, copies its calls into the shared log, and logs only real changes as mutations', async () => {
    await control('POST', '/seed', {
      octopus: { machines: [{ name: 'web-1', environments: ['Production'] }] },
    });
    const headers = { 'X-Octopus-ApiKey': 'API-LOCALCLOUD0000000000000000000' };
    const list = (await (await fetch(`${lc.url}/octopus/api/Spaces-1/machines`, { headers })).json()) as {
      Items: { Id: string; Name: string }[];
    };
    expect(list.Items.map((m) => m.Name)).toEqual(['web-1']);
    const deleted = await fetch(`${lc.url}/octopus/api/Spaces-1/machines/${list.Items[0]!.Id}`, {
      method: 'DELETE',
      headers,
    });
    expect(deleted.status).toBe(200);
    const octoCalls = (await control<{ calls: CallRecord[] }>('GET', '/calls?service=octopus')).calls;
    expect(octoCalls.map((c) => [c.operation, c.status])).toEqual([
      ['machines.list', 200],
      ['machines.delete', 200],
    ]);
    const octoMutations = (
      await control<{ mutations: MutationRecord[] }>('GET', '/mutations?service=octopus')
    ).mutations;
    expect(octoMutations.map((m) => m.operation)).toEqual(['machines.delete']);
  });

  it('answers unknown operations, unsigned requests and unknown control routes clearly', async () => {
    const unsigned = await fetch(lc.url, {
      method: 'POST',
      body: 'Action=DescribeInstances&Version=2016-11-15',
    });
    expect(unsigned.status).toBe(403);
    expect(await unsigned.text()).toContain('MissingAuthenticationToken');
    const notServed = await fetch(lc.url, {
      method: 'POST',
      headers: {
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'Action=AllocateAddress&Version=2016-11-15',
    });
    expect([notServed.status, (await notServed.text()).includes('InvalidAction')]).toEqual([400, true]);
    const missing = await fetch(`${lc.url}/_localcloud/nothing`);
    expect(missing.status).toBe(404);
  });
});
