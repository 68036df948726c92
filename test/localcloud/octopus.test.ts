import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_ACCESS_TOKEN, DEFAULT_API_KEY } from './octopus/index.js';
import { serveOctopus, type OctopusServer } from './octopus/serve.js';

let srv: OctopusServer;
beforeAll(async () => {
  srv = await serveOctopus();
});
afterAll(async () => srv.stop());
beforeEach(() => srv.octopus.reset());

interface Collection {
  ItemType: string;
  TotalResults: number;
  ItemsPerPage: number;
  NumberOfPages: number;
  LastPageNumber: number;
  Items: Array<Record<string, unknown>>;
  Links: Record<string, string>;
}

async function call(path: string, init: RequestInit & { key?: string | null } = {}) {
  const headers = new Headers(init.headers);
  if (init.key !== null) headers.set('X-Octopus-ApiKey', init.key ?? DEFAULT_API_KEY);
  if (init.body) headers.set('content-type', 'application/json');
  const res = await fetch(`${srv.url}${path}`, { ...init, headers });
  const text = await res.text();
  return {
    status: res.status,
    body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> & Collection,
  };
}

describe('octopus simulator: discovery and auth', () => {
  it('serves the root document anonymously with links under the mount point', async () => {
    const { status, body } = await call('/api', { key: null });
    expect(status).toBe(200);
    expect(body.Application).toBe('Octopus Deploy');
    expect(body.Links.Spaces).toMatch(/^\/octopus\/api\/spaces\{/);
  });

  it('refuses a missing key, a wrong key and a wrong bearer token with an Octopus error body', async () => {
    const missing = await call('/api/Spaces-1/machines', { key: null });
    expect(missing.status).toBe(401);
    expect(missing.body.ErrorMessage).toMatch(/must be logged in/);
    expect(missing.body.Errors).toEqual([]);
    const wrong = await call('/api/Spaces-1/machines', { key: 'API-WRONG' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.ErrorMessage).toMatch(/API key you provided was not valid/);
    const badToken = await call('/api/spaces', { key: null, headers: { authorization: 'Bearer nope' } });
    expect(badToken.status).toBe(401);
    const wrongOnRoot = await call('/api', { key: 'API-WRONG' });
    expect(wrongOnRoot.status).toBe(401);
  });

  it('accepts a bearer access token', async () => {
    const { status, body } = await call('/api/spaces', {
      key: null,
      headers: { authorization: `Bearer ${DEFAULT_ACCESS_TOKEN}` },
    });
    expect(status).toBe(200);
    expect(body.Items.map((s) => s.Name)).toEqual(['Default']);
  });

  it('finds the Default space by partial name and by id', async () => {
    const list = await call('/api/spaces?partialName=defa');
    expect(list.body.TotalResults).toBe(1);
    expect(list.body.Items[0]).toMatchObject({ Id: 'Spaces-1', Name: 'Default', IsDefault: true });
    const one = await call('/api/spaces/Spaces-1');
    expect(one.body.Name).toBe('Default');
    expect((await call('/api/spaces/Spaces-42')).status).toBe(404);
  });
});

describe('octopus simulator: environments and machines', () => {
  it('creates environments and finds them by exact and partial name', async () => {
    const created = await call('/api/Spaces-1/environments', {
      method: 'POST',
      body: JSON.stringify({ Name: 'Staging' }),
    });
    expect(created.status).toBe(201);
    expect(created.body.Id).toMatch(/^Environments-\d+$/);
    srv.octopus.ensureEnvironment('Production');
    const byName = await call('/api/Spaces-1/environments?name=staging');
    expect(byName.body.Items.map((e) => e.Name)).toEqual(['Staging']);
    const partial = await call('/api/environments?partialName=o');
    expect(partial.body.Items.map((e) => e.Name)).toEqual(['Production']);
    const dup = await call('/api/Spaces-1/environments', {
      method: 'POST',
      body: JSON.stringify({ Name: 'staging' }),
    });
    expect(dup.status).toBe(400);
    expect(dup.body.Errors).toEqual([expect.stringMatching(/already exists/)]);
  });

  it('pages machines 30 at a time by default with Octopus paging fields and links', async () => {
    srv.octopus.bulkMachines({ count: 65, environment: 'Production' });
    const first = await call('/api/Spaces-1/machines');
    expect(first.body).toMatchObject({
      ItemType: 'Machine',
      TotalResults: 65,
      ItemsPerPage: 30,
      NumberOfPages: 3,
      LastPageNumber: 2,
    });
    expect(first.body.Items).toHaveLength(30);
    expect(first.body.Links['Page.Next']).toBe('/octopus/api/Spaces-1/machines?skip=30&take=30');
    const seen = new Set<unknown>();
    let next: string | undefined = '/api/Spaces-1/machines?skip=0&take=30';
    for (let page = 0; next && page < 10; page++) {
      const r = await call(next);
      for (const m of r.body.Items) seen.add(m.Id);
      next = r.body.Links['Page.Next']?.replace(/^\/octopus/, '');
    }
    expect(seen.size).toBe(65);
  });

  it('filters machines by environment, role and partial name, also under the environment route', async () => {
    const prod = srv.octopus.ensureEnvironment('Production');
    const staging = srv.octopus.ensureEnvironment('Staging');
    srv.octopus.addMachines([
      { name: 'i-0000000000000000a', environments: ['Production'], roles: ['web'] },
      { name: 'i-0000000000000000b', environments: ['Production'], roles: ['worker'] },
      { name: 'i-0000000000000000c', environments: ['Staging'], roles: ['web'] },
    ]);
    const webInProd = await call(`/api/Spaces-1/machines?environmentIds=${prod.Id}&roles=web`);
    expect(webInProd.body.Items.map((m) => m.Name)).toEqual(['i-0000000000000000a']);
    const both = await call(
      `/api/Spaces-1/machines?environmentIds=${prod.Id},${staging.Id}&partialName=000c`,
    );
    expect(both.body.Items.map((m) => m.Name)).toEqual(['i-0000000000000000c']);
    const envRoute = await call(`/api/Spaces-1/environments/${prod.Id}/machines?take=1`);
    expect(envRoute.body).toMatchObject({ TotalResults: 2, NumberOfPages: 2 });
    expect(envRoute.body.Items).toHaveLength(1);
  });

  it('creates a machine with Octopus resource fields, deletes it, then answers 404', async () => {
    const env = srv.octopus.ensureEnvironment('Production');
    const machine = {
      Name: 'i-0abc12345def67890',
      Roles: ['web'],
      EnvironmentIds: [env.Id],
      Endpoint: {
        CommunicationStyle: 'TentaclePassive',
        Uri: 'https://127.10.0.5:10933/',
        Thumbprint: 'ABCDEF0123',
      },
    };
    const created = await call('/api/Spaces-1/machines', { method: 'POST', body: JSON.stringify(machine) });
    expect(created.status).toBe(201);
    // What was sent comes back, with the fields Octopus adds.
    expect(created.body).toMatchObject({
      ...machine,
      HealthStatus: 'Healthy',
      IsDisabled: false,
      SpaceId: 'Spaces-1',
    });
    const id = created.body.Id as string;
    expect((await call(`/api/machines/${id}`)).body.Name).toBe('i-0abc12345def67890');
    expect((await call(`/api/Spaces-1/machines/${id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await call(`/api/Spaces-1/machines/${id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await call(`/api/Spaces-1/machines/${id}`)).status).toBe(404);
    expect(srv.octopus.logs.mutations.map((m) => m.operation)).toEqual([
      'machines.create',
      'machines.delete',
    ]);
  });

  it('rejects a machine without roles, environments or endpoint, naming each problem', async () => {
    const r = await call('/api/Spaces-1/machines', { method: 'POST', body: JSON.stringify({ Name: 'x' }) });
    expect(r.status).toBe(400);
    expect(r.body.Errors).toHaveLength(5);
    expect(srv.octopus.state.machines.size).toBe(0);
  });

  it('keeps spaces apart: a machine in another space is not found in Default', async () => {
    srv.octopus.seed({
      space: 'Platform',
      machines: [{ name: 'i-0000000000000000d', environments: ['Production'] }],
    });
    const other = [...srv.octopus.state.spaces.values()].find((s) => s.Name === 'Platform');
    const [machine] = [...srv.octopus.state.machines.values()];
    expect((await call(`/api/Spaces-1/machines/${machine?.Id}`)).status).toBe(404);
    expect((await call(`/api/${other?.Id}/machines/${machine?.Id}`)).status).toBe(200);
    expect((await call(`/api/spaces/${other?.Id}/machines`)).body.TotalResults).toBe(1);
  });
});

describe('octopus simulator: faults and logs', () => {
  it('fails an exact sequence of calls on one route and logs each with its status', async () => {
    srv.octopus.bulkMachines({ count: 3, environment: 'Production' });
    srv.octopus.faults.add({ route: 'machines.list', kind: 'status', status: 503, sequence: [false, true] });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call('/api/Spaces-1/machines')).status);
    expect(statuses).toEqual([200, 503, 200]);
    expect(srv.octopus.logs.calls.map((c) => [c.operation, c.status, c.errorCode])).toEqual([
      ['machines.list', 200, undefined],
      ['machines.list', 503, 'ServiceUnavailable'],
      ['machines.list', 200, undefined],
    ]);
  });

  it('drops the connection when told to, and leaves other routes alone', async () => {
    srv.octopus.faults.add({ route: 'spaces.list', kind: 'drop', times: 1 });
    await expect(call('/api/spaces')).rejects.toThrow();
    expect((await call('/api/spaces')).status).toBe(200);
    expect((await call('/api/Spaces-1/environments')).status).toBe(200);
  });

  it('repeats rate-based faults exactly for the same seed', async () => {
    const run = async () => {
      srv.octopus.reset();
      srv.octopus.faults.add({ kind: 'status', status: 500, rate: 0.5 });
      const out = [];
      for (let i = 0; i < 12; i++) out.push((await call('/api/spaces')).status);
      return out;
    };
    const a = await run();
    expect(a).toContain(500);
    expect(a).toContain(200);
    expect(await run()).toEqual(a);
  });
});
