// One localcloud per section, with the SDK clients and step environment the sections share.
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { localcloudEnv } from '../test/harness/run-action.js';
import { start, type Localcloud, type StartOptions } from '../test/localcloud/index.js';
import { DEFAULT_API_KEY } from '../test/localcloud/octopus/index.js';

export const CREDENTIALS = {
  accessKeyId: 'AKIALOCALCLOUD000000',
  secretAccessKey: 'localcloud-secret-key-do-not-use-000000',
};
export const OCTOPUS_KEY = DEFAULT_API_KEY;
export const AL2023_PARAMETER = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';

export interface BenchCloud {
  lc: Localcloud;
  url: string;
  /** What a step gets: localcloud endpoint, dummy AWS keys, Octopus URL and key. */
  env(region?: string): Record<string, string>;
  ec2(region?: string): EC2Client;
  ssm(region?: string): SSMClient;
  asg(region?: string): AutoScalingClient;
  /** Sequence number of the last call-log record (for `since` queries). */
  mark(): number;
  stop(): Promise<void>;
}

export async function startCloud(options: StartOptions = {}): Promise<BenchCloud> {
  const lc = await start({ port: 0, ...options });
  const made = new Map<string, { destroy(): void }>();
  // Benchmarks measure the actions, not SDK retries of our own seeding calls.
  const client = <T extends { destroy(): void }>(kind: string, region: string, make: () => T): T => {
    const key = `${kind}:${region}`;
    if (!made.has(key)) made.set(key, make());
    return made.get(key) as T;
  };
  const cfg = (region: string) => ({ region, endpoint: lc.url, credentials: CREDENTIALS, maxAttempts: 8 });
  return {
    lc,
    url: lc.url,
    env: (region = 'us-east-1') => ({
      ...localcloudEnv(lc.url, region),
      OCTOPUS_URL: `${lc.url}/octopus`,
      OCTOPUS_API_KEY: OCTOPUS_KEY,
      // The sections poll bake-ami at 0.1 s, which stood for 1/100 of AWS's time before the
      // time scale was bake-ami's to be told.
      GOLDEN_AMI_TIME_SCALE: '0.01',
    }),
    ec2: (region = 'us-east-1') => client('ec2', region, () => new EC2Client(cfg(region))),
    ssm: (region = 'us-east-1') => client('ssm', region, () => new SSMClient(cfg(region))),
    asg: (region = 'us-east-1') => client('asg', region, () => new AutoScalingClient(cfg(region))),
    mark: () => lc.logs.calls.query().at(-1)?.seq ?? 0,
    stop: async () => {
      for (const c of made.values()) c.destroy();
      await lc.stop();
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` every `everyMs` until it returns a value; bounded by `ms`. */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  ms = 60_000,
  everyMs = 50,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await sleep(everyMs);
  }
}
