// Shared by LC-A's localcloud tests: client config for a running localcloud and a bounded poll.
import {
  DescribeAutoScalingGroupsCommand,
  type AutoScalingClient,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import type { Localcloud } from './index.js';

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
