// What keeps the Octopus key and the reaper aimed at what they should touch: no redirect followed,
// no key over plain http off the machine, instance ids matched as whole tokens, only EC2's private
// DNS forms, and only targets of the environments asked for.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseInputs } from '../../../src/core/inputs.js';
import { memoryLog } from '../../../src/core/log.js';
import { createOctopusClient, octopusUrlProblem, type Query } from '../../../src/octopus/client.js';
import type { OctopusMachine } from '../../../src/octopus/resources.js';
import { mapMachine, tokenPattern } from '../../../src/reap/mapping.js';
import { reapOrphans, type ReapOptions } from '../../../src/reap/reap.js';
import { reapSpec } from '../../../src/reap/inputs.js';
import { fakeClock } from '../../support/fake-clock.js';
import { startReapCloud, type ReapCloud } from './cloud.js';

/** A fetch answering one redirect, remembering every request and its redirect mode. */
function redirectingFetch(status: number, location: string) {
  const seen: Array<{ url: string; redirect: RequestInit['redirect']; key: string | undefined }> = [];
  const fn = (async (url: string | URL, init?: RequestInit) => {
    seen.push({
      url: String(url),
      redirect: init?.redirect,
      key: (init?.headers as Record<string, string>)['X-Octopus-ApiKey'],
    });
    return new Response(null, { status, headers: { location } });
  }) as typeof fetch;
  return { fn, seen };
}

describe('Octopus client refusals', () => {
  it.each([
    ['GET', 302],
    ['DELETE', 307],
    ['GET', 301],
    ['DELETE', 308],
  ])('%s answered %i elsewhere: not followed, the error names the target origin', async (method, status) => {
    const f = redirectingFetch(status, 'https://collector.evil.example/steal?x=1');
    const api = createOctopusClient(
      { url: 'https://octo.example.com', apiKey: 'API-SECRET', fetch: f.fn, maxAttempts: 3 },
      fakeClock(),
    );
    const call = method === 'GET' ? api.get('/api/spaces') : api.delete('/api/Spaces-1/machines/Machines-1');
    const err = await call.then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toContain(`answered ${status}`);
    expect(err?.message).toContain('a redirect to https://collector.evil.example, not followed');
    expect(err?.message).not.toContain('API-SECRET');
    // One request, to the configured server only, with fetch told not to follow.
    expect(f.seen).toEqual([expect.objectContaining({ redirect: 'manual', key: 'API-SECRET' })]);
    expect(new URL(f.seen[0]!.url).origin).toBe('https://octo.example.com');
  });

  it('names a relative redirect by the server origin it resolves to', async () => {
    const f = redirectingFetch(302, '/elsewhere');
    const api = createOctopusClient(
      { url: 'https://octo.example.com', apiKey: 'k', fetch: f.fn },
      fakeClock(),
    );
    await expect(api.get('/api/spaces')).rejects.toThrow(
      'a redirect to https://octo.example.com, not followed',
    );
  });

  it('refuses http:// off the machine before sending anything, and allows https and loopback', () => {
    const f = redirectingFetch(200, '');
    expect(() =>
      createOctopusClient({ url: 'http://octo.example.com', apiKey: 'k', fetch: f.fn }, fakeClock()),
    ).toThrow('octopus-url: http://octo.example.com would send the API key unencrypted');
    expect(f.seen).toEqual([]);
    for (const ok of [
      'https://octo.example.com',
      'http://127.0.0.1:8080',
      'http://127.10.3.4',
      'http://localhost:8080/api',
      'http://[::1]:8080',
    ])
      expect(octopusUrlProblem(ok)).toBeUndefined();
    for (const bad of [
      'http://10.0.0.5',
      'http://128.0.0.1',
      'ftp://octo.example.com',
      'http://localhost.evil.example',
    ])
      expect(octopusUrlProblem(bad)).toMatch(/unencrypted|accepted/);
  });

  it('reports an http:// octopus-url as an invalid input of reap-octopus-orphans', () => {
    const inputs: Record<string, string> = {
      'octopus-url': 'http://octo.example.com',
      'octopus-api-key': 'k',
      environments: 'Production',
      region: 'us-east-1',
    };
    expect(() => parseInputs(reapSpec, { input: (n) => inputs[n] ?? '', env: () => undefined })).toThrow(
      'octopus-url: http://octo.example.com would send the API key unencrypted',
    );
  });
});

const machine = (Name: string, uri?: string): OctopusMachine =>
  ({
    Id: 'Machines-1',
    Name,
    Roles: [],
    EnvironmentIds: ['Environments-1'],
    ...(uri ? { Uri: uri } : {}),
  }) as OctopusMachine;
const DEFAULT_PATTERN = 'i-[0-9a-f]{8}([0-9a-f]{9})?';

describe('reaper mapping', () => {
  it.each([
    ['i-0123456789abcdef0', 'i-0123456789abcdef0'],
    ['web-i-0123456789abcdef0', 'i-0123456789abcdef0'],
    ['i-1234abcd', 'i-1234abcd'],
    ['web i-1234abcd (old)', 'i-1234abcd'],
    ['multi-20240101', undefined],
    ['i-0deaddeaddead000000', undefined], // 19 hex digits: no EC2 id
    ['i-0123456789abcdef0x', undefined],
    ['xi-1234abcd', undefined],
    ['i-1234abcd5', undefined], // 9 hex digits
  ])('instance id in %p: %p', (name, key) => {
    const m = mapMachine(machine(name), 'instance-id', tokenPattern(DEFAULT_PATTERN));
    expect('key' in m ? m.key : undefined).toBe(key);
  });

  it.each([
    ['https://ip-10-0-1-5.ec2.internal:10933/', 'ip-10-0-1-5.ec2.internal'],
    ['https://ip-10-0-1-5.eu-west-1.compute.internal:10933/', 'ip-10-0-1-5.eu-west-1.compute.internal'],
    [
      'https://i-0123456789abcdef0.us-east-2.compute.internal:10933/',
      'i-0123456789abcdef0.us-east-2.compute.internal',
    ],
    ['https://i-0123456789abcdef0.ec2.internal:10933/', 'i-0123456789abcdef0.ec2.internal'],
    ['https://build.corp.internal:10933/', undefined],
    ['https://ip-10-0-1-5.corp.internal:10933/', undefined],
    ['https://ip-10-0-1-999.ec2.internal:10933/', undefined],
    ['https://ip-10-0-1-5.eu-west-1.compute.internal.evil.example:10933/', undefined],
  ])('private DNS %p: %p', (uri, key) => {
    const m = mapMachine(machine('web', uri), 'private-dns', tokenPattern(DEFAULT_PATTERN));
    expect('key' in m ? m.key : undefined).toBe(key);
  });
});

describe('reapOrphans environment check', () => {
  let cloud: ReapCloud;
  beforeAll(async () => {
    cloud = await startReapCloud();
  });
  afterAll(() => cloud.stop());

  it('leaves alone a target the server returned from another environment, though its instance is gone', async () => {
    const gone = 'i-0000000000000000a';
    const foreign = 'i-0000000000000000b';
    cloud.setup([{ Name: gone }, { Name: foreign, environments: ['Staging'] }], []);
    // A server (or proxy) that ignores the environment filter.
    const inner = cloud.octopus.get.bind(cloud.octopus);
    const octopus = {
      ...cloud.octopus,
      get: <T>(path: string, query: Query = {}, signal?: AbortSignal) =>
        inner<T>(
          path,
          path.endsWith('/machines') ? { ...query, environmentIds: 'Environments-1,Environments-2' } : query,
          signal,
        ),
    };
    const options: ReapOptions = {
      space: 'Default',
      environments: ['Production'],
      roles: [],
      matchBy: 'instance-id',
      instanceIdPattern: tokenPattern(DEFAULT_PATTERN),
      regions: ['us-east-1'],
      reapStates: ['terminated', 'shutting-down', 'not-found'],
      maxReap: 10,
      maxReapPercent: 100,
      dryRun: false,
      concurrency: 1,
      pageSize: 30,
    };
    const r = await reapOrphans(
      {
        clients: { ec2: cloud.clients.ec2, octopus },
        clock: cloud.clock,
        log: memoryLog(),
        signal: new AbortController().signal,
      },
      options,
    );
    expect(r.reaped.map((t) => t.name)).toEqual([gone]);
    expect(cloud.targetNames()).toEqual([foreign]);
    expect(r.unmapped).toEqual([
      expect.objectContaining({
        name: foreign,
        reason: expect.stringContaining('in none of the environments asked for'),
      }),
    ]);
  });
});
