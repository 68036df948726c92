// Instances serve /version and /health on their own 127.10.x.y address while running, so HTTP
// health checks can be tested against localcloud.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { EC2Client, RunInstancesCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { start, type Localcloud } from './index.js';
import { seedImage } from './seed.js';
import { clientConfig, until } from './test-support.js';

// A bound for slow shared CI machines, not a performance assertion (bench/ measures speed).
jest.setTimeout(30_000);

const PORT = 18_080;
let lc: Localcloud;
let ec2: EC2Client;

beforeAll(async () => {
  lc = await start({ instanceHttpPort: PORT, durations: { instanceBoot: 100, instanceStop: 100 } });
  ec2 = new EC2Client(clientConfig(lc));
});

afterAll(async () => {
  ec2.destroy();
  await lc.stop();
});

async function get(ip: string, path: string): Promise<[number, string] | undefined> {
  try {
    const res = await fetch(`http://${ip}:${PORT}${path}`);
    return [res.status, await res.text()];
  } catch {
    return undefined;
  }
}

describe('per-instance HTTP endpoint', () => {
  it('serves the baked version and the health verdict while running, and nothing once stopped', async () => {
    const region = lc.world.region('us-east-1');
    const good = seedImage(region, { name: 'web-5', version: '5.0.0' });
    const bad = seedImage(region, { name: 'web-6', version: '6.0.0', health: 'unhealthy' });
    const launch = async (imageId: string) =>
      (await ec2.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1 })))
        .Instances![0]!;
    const a = await launch(good.imageId);
    const b = await launch(bad.imageId);

    expect(await until('the good instance to serve', () => get(a.PrivateIpAddress!, '/version'))).toEqual([
      200,
      '5.0.0',
    ]);
    expect(await get(a.PrivateIpAddress!, '/health')).toEqual([200, 'ok']);
    expect(await until('the bad instance to serve', () => get(b.PrivateIpAddress!, '/health'))).toEqual([
      503,
      'unhealthy',
    ]);

    await ec2.send(new StopInstancesCommand({ InstanceIds: [a.InstanceId!] }));
    await until('the endpoint to go away', async () =>
      (await get(a.PrivateIpAddress!, '/version')) === undefined ? true : undefined,
    );
  });
});
