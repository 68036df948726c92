// Shared by LC-A's localcloud tests: client config for a running localcloud and a bounded poll.
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
