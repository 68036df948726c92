// The Octopus client's wire behaviour, with a scripted fetch rather than localcloud's Octopus:
// these tests read the exact headers and URLs the client sent (localcloud's call log keeps
// neither), answer with chosen bodies and statuses, and drop a connection with a chosen cause
// ('socket hang up'), which a real socket to localcloud cannot reproduce exactly. Reap against
// localcloud's Octopus is in reap.test.ts (test/unit/reap/cloud.ts).
import { describe, expect, it } from '@jest/globals';
import { OctopusApiError, createOctopusClient } from '../../../src/octopus/client.js';
import { listAll } from '../../../src/octopus/machines.js';
import { fakeClock } from '../../support/fake-clock.js';

type Answer = { status: number; body?: unknown } | Error;

/** A fetch that answers from a script and remembers what it was asked. */
function scriptedFetch(answers: Answer[]) {
  const seen: Array<{ url: string; method: string; headers: Record<string, string> }> = [];
  const fn = (async (url: string | URL, init?: RequestInit) => {
    seen.push({
      url: String(url),
      method: init?.method ?? 'GET',
      headers: { ...(init?.headers as Record<string, string>) },
    });
    const a = answers.shift();
    if (!a) throw new Error('unexpected request');
    if (a instanceof Error) throw a;
    return new Response(a.body === undefined ? null : JSON.stringify(a.body), { status: a.status });
  }) as typeof fetch;
  return { fn, seen };
}

describe('Octopus client', () => {
  it('sends the API key, accepts a URL ending in /api, and retries a 503 with backoff', async () => {
    const f = scriptedFetch([
      { status: 503, body: { ErrorMessage: 'busy' } },
      { status: 200, body: { Items: [] } },
    ]);
    const clock = fakeClock();
    const api = createOctopusClient(
      { url: 'https://octo.example.com/api/', apiKey: 'API-KEY1', fetch: f.fn },
      clock,
    );
    await api.get('/api/spaces', { partialName: 'Default', skip: undefined });
    expect(f.seen.map((s) => s.url)).toEqual([
      'https://octo.example.com/api/spaces?partialName=Default',
      'https://octo.example.com/api/spaces?partialName=Default',
    ]);
    expect(f.seen[0]?.headers['X-Octopus-ApiKey']).toBe('API-KEY1');
    expect(clock.sleeps).toEqual([250]);
    expect(api.requests).toBe(2);
  });

  it('sends an access token as a bearer token', async () => {
    const f = scriptedFetch([{ status: 200, body: {} }]);
    await createOctopusClient(
      { url: 'https://octo.example.com', accessToken: 'tok', fetch: f.fn },
      fakeClock(),
    ).get('/api');
    expect(f.seen[0]?.headers.authorization).toBe('Bearer tok');
  });

  it('reports a 401 once, with the server message and without the key', async () => {
    const f = scriptedFetch([
      { status: 401, body: { ErrorMessage: 'The API key you provided was not valid.', Errors: [] } },
    ]);
    const api = createOctopusClient(
      { url: 'https://octo.example.com', apiKey: 'API-SECRET', fetch: f.fn },
      fakeClock(),
    );
    const err = await api.get('/api/spaces').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OctopusApiError);
    expect((err as Error).message).toBe(
      'Octopus GET /api/spaces answered 401: The API key you provided was not valid.',
    );
    expect((err as Error).message).not.toContain('API-SECRET');
    expect(f.seen).toHaveLength(1);
  });

  it('gives up on dropped connections after three attempts, saying why', async () => {
    const drop = new TypeError('fetch failed', { cause: new Error('socket hang up') });
    const f = scriptedFetch([drop, drop, drop]);
    const api = createOctopusClient(
      { url: 'https://octo.example.com', apiKey: 'k', fetch: f.fn },
      fakeClock(),
    );
    await expect(api.get('/api/spaces')).rejects.toThrow(
      'Octopus GET /api/spaces failed after 3 attempts: socket hang up',
    );
  });

  it('treats a 404 on delete as already gone', async () => {
    const f = scriptedFetch([{ status: 404, body: { ErrorMessage: 'not found' } }, { status: 200 }]);
    const api = createOctopusClient(
      { url: 'https://octo.example.com', apiKey: 'k', fetch: f.fn },
      fakeClock(),
    );
    expect(await api.delete('/api/Spaces-1/machines/Machines-1')).toBe('not-found');
    expect(await api.delete('/api/Spaces-1/machines/Machines-2')).toBe('deleted');
    expect(f.seen.map((s) => s.method)).toEqual(['DELETE', 'DELETE']);
  });

  it('reads every page, advancing by what the server returned even when it caps the page size', async () => {
    const page = (skip: number) => ({
      status: 200,
      body: { TotalResults: 5, Items: [skip, skip + 1].filter((n) => n < 5) },
    });
    const f = scriptedFetch([page(0), page(2), page(4)]);
    const api = createOctopusClient(
      { url: 'https://octo.example.com', apiKey: 'k', fetch: f.fn },
      fakeClock(),
    );
    expect(await listAll<number>(api, '/api/Spaces-1/machines', {}, 100)).toEqual([0, 1, 2, 3, 4]);
    expect(f.seen.map((s) => new URL(s.url).searchParams.get('skip'))).toEqual(['0', '2', '4']);
  });
});
