// Shared by LC-A's localcloud tests: client config for a running localcloud and a bounded poll,
// quick bake durations, the Auto Scaling tests' cloud, and the error name a call fails with.
import { afterAll, beforeAll } from '@jest/globals';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Durations } from './durations.js';
import { start, type Localcloud } from './index.js';
import { seedImage as seedRegionImage } from './seed.js';

export function clientConfig(lc: Localcloud, region = 'us-east-1') {
  return {
    region,
    endpoint: lc.url,
    credentials: { accessKeyId: 'AKIDLOCALCLOUDTEST', secretAccessKey: 'localcloud' },
    // Fault tests count attempts themselves.
    maxAttempts: 1,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 25 ms until it returns a value; gives up after `maxPolls` polls. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  maxPolls = 400,
): Promise<T> {
  for (let i = 0; i < maxPolls; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await sleep(25);
  }
  throw new Error(`localcloud test: gave up waiting for ${what}`);
}

export function b64(text: string): string {
  return Buffer.from(text).toString('base64');
}

/** One group as DescribeAutoScalingGroups shows it. */
export async function describeGroup(asg: AutoScalingClient, name: string): Promise<AutoScalingGroup> {
  const out = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return out.AutoScalingGroups![0]!;
}

/** Waits (up to 30 s) until `count` of the group's instances are InService. */
export function inService(asg: AutoScalingClient, name: string, count: number): Promise<true> {
  return until(
    `${name}: ${count} in service`,
    async () =>
      (await describeGroup(asg, name)).Instances?.filter((i) => i.LifecycleState === 'InService').length ===
      count
        ? true
        : undefined,
    1200,
  );
}

/** What the tests that launch, provision and image builders wait, in ms (each adds its own). */
export const QUICK_BAKE_DURATIONS: Partial<Durations> = {
  instanceBoot: 100,
  provision: 200,
  instanceStop: 100,
  instanceTerminate: 100,
  healthCheckDelay: 100,
};

/** The name of the error `promise` fails with, or `no error`. */
export async function errorOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return (err as Error).name;
  }
  return 'no error';
}

/** The Auto Scaling tests' localcloud, with an Auto Scaling and an ELBv2 client in one region. */
export interface AutoScalingCloud {
  lc: Localcloud;
  asg: AutoScalingClient;
  elb: ElasticLoadBalancingV2Client;
  /** An available image owned by the account, tagged `localcloud:health=unhealthy` when asked. */
  seedImage(name: string, health?: 'unhealthy'): string;
}

/**
 * Starts one localcloud before the file's tests (instances boot, terminate and pass health checks
 * after `ms`) and stops it after them; the fields are set once beforeAll has run.
 */
export function autoScalingCloud(region: string, ms = 60): AutoScalingCloud {
  const cloud = {
    seedImage: (name: string, health?: 'unhealthy') =>
      seedRegionImage(cloud.lc.world.region(region), { name, ...(health ? { health } : {}) }).imageId,
  } as AutoScalingCloud;
  beforeAll(async () => {
    cloud.lc = await start({
      port: 0,
      durations: { instanceBoot: ms, instanceTerminate: ms, healthCheckDelay: ms, apiSecond: 1 },
    });
    const config = { ...clientConfig(cloud.lc, region), credentials: LOCALCLOUD_KEY };
    cloud.asg = new AutoScalingClient(config);
    cloud.elb = new ElasticLoadBalancingV2Client(config);
  });
  afterAll(async () => {
    cloud.asg?.destroy();
    cloud.elb?.destroy();
    await cloud.lc?.stop();
  });
  return cloud;
}

const LOCALCLOUD_KEY = { accessKeyId: 'AKIALOCALCLOUD000000', secretAccessKey: 'localcloud' };
