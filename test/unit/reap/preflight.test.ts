// checkOctopusAccess: the read-only check deploy-ami's plan runs with reap on, against localcloud's
// Octopus. Each bad input fails naming the input to fix, and nothing is ever deleted.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { memoryLog } from '../../../src/core/log.js';
import { DEFAULT_API_KEY } from '../../localcloud/octopus/index.js';
import { checkOctopusAccess, type OctopusAccessOptions } from '../../../src/reap/preflight.js';
import { startReapCloud, type ReapCloud } from './cloud.js';

let cloud: ReapCloud;
beforeAll(async () => {
  cloud = await startReapCloud();
});
afterAll(() => cloud.stop());

const ctx = () => ({ clock: cloud.clock, log: memoryLog(), signal: new AbortController().signal });
const options = (o: Partial<OctopusAccessOptions> = {}): OctopusAccessOptions => ({
  octopus: { url: `${cloud.lc.url}/octopus`, apiKey: DEFAULT_API_KEY, maxAttempts: 1 },
  space: 'Default',
  environments: ['Production'],
  roles: [],
  ...o,
});
const fails = (o: Partial<OctopusAccessOptions>) =>
  checkOctopusAccess(ctx(), options(o)).then(
    () => 'passed',
    (e: unknown) => (e as Error).message,
  );

describe('checkOctopusAccess', () => {
  it('finds the server, the space, the environments and how many targets they hold, deleting nothing', async () => {
    cloud.setup([{ Name: 'web-1' }, { Name: 'web-2' }, { Name: 'web-3', environments: ['Staging'] }], []);
    const access = await checkOctopusAccess(ctx(), options({ environments: ['production', 'Staging'] }));
    expect(access).toEqual({
      server: new URL(cloud.lc.url).origin,
      version: expect.any(String),
      space: { id: 'Spaces-1', name: 'Default' },
      environments: ['Production', 'Staging'],
      targets: 3,
    });
    expect(cloud.deletes()).toEqual([]);
    expect(cloud.describeCalls()).toEqual([]);
  });

  it('names the key when the server refuses it', async () => {
    cloud.setup([], []);
    expect(
      await fails({
        octopus: { url: `${cloud.lc.url}/octopus`, apiKey: 'API-WRONGKEY00000000000000000000' },
      }),
    ).toMatch(
      /^octopus-api-key: .* refused it \(401\)\. Octopus GET \/api answered 401: The API key you provided was not valid/,
    );
    expect(
      await fails({ octopus: { url: `${cloud.lc.url}/octopus`, accessToken: 'not-the-token' } }),
    ).toMatch(/^octopus-access-token: .* refused it \(401\)/);
  });

  it('names the space or environments that do not exist', async () => {
    cloud.setup([], []);
    expect(await fails({ space: 'Nope' })).toMatch(/Octopus space "Nope" was not found/);
    expect(await fails({ environments: ['Production', 'Prod'] })).toMatch(
      /Octopus environment not found in Spaces-1: Prod \(it has: .*Production/,
    );
  });

  it('says when the URL is not an Octopus server, or does not answer', async () => {
    cloud.setup([], []);
    expect(await fails({ octopus: { url: `${cloud.lc.url}/not-octopus`, apiKey: DEFAULT_API_KEY } })).toMatch(
      /^octopus-url: http:\/\/127\.0\.0\.1:\d+ is not an Octopus server that answers/,
    );
    expect(
      await fails({
        octopus: { url: 'http://127.0.0.1:9/octopus', apiKey: DEFAULT_API_KEY, maxAttempts: 1 },
      }),
    ).toMatch(
      /^octopus-url: http:\/\/127\.0\.0\.1:9 is not an Octopus server that answers: .*failed after 1 attempts/,
    );
  });

  it('refuses a URL the key must not travel to, and a missing credential, before any request', async () => {
    expect(await fails({ octopus: { url: 'http://octopus.example.com', apiKey: DEFAULT_API_KEY } })).toMatch(
      /octopus-url: http:\/\/octopus\.example\.com would send the API key unencrypted/,
    );
    expect(await fails({ octopus: { url: `${cloud.lc.url}/octopus` } })).toMatch(
      /octopus-api-key: one of octopus-api-key, octopus-access-token is required/,
    );
  });
});
