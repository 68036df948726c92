// The official Octopus TypeScript client, an independent implementation of the wire protocol,
// against the simulator: if it can discover, list, page and delete, our shapes are right.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  Client,
  EnvironmentRepository,
  SpaceRepository,
  SpaceScopedBasicRepository,
  spaceScopedRoutePrefix,
  type ClientConfiguration,
  type ListArgs,
  type SpaceScopedResource,
} from '@octopusdeploy/api-client';
import { DEFAULT_API_KEY } from './octopus/index.js';
import { serveOctopus, type OctopusServer } from './octopus/serve.js';

interface MachineResource extends SpaceScopedResource {
  Id: string;
  Name: string;
  Roles: string[];
  EnvironmentIds: string[];
  Endpoint: { CommunicationStyle: string; Uri: string };
}
type NewMachine = Omit<MachineResource, 'Id' | 'Links'>;
type MachineListArgs = { environmentIds?: string; roles?: string; partialName?: string } & ListArgs;

let srv: OctopusServer;
let client: Client;
const config = (apiKey: string): ClientConfiguration => ({
  userAgentApp: 'localcloud-test',
  instanceURL: srv.url,
  apiKey,
});
const machines = () =>
  new SpaceScopedBasicRepository<MachineResource, NewMachine, MachineListArgs>(
    client,
    'Default',
    `${spaceScopedRoutePrefix}/machines`,
    'skip,take,ids,partialName,roles,environmentIds',
  );

beforeAll(async () => {
  srv = await serveOctopus();
  client = await Client.create(config(DEFAULT_API_KEY));
});
afterAll(async () => srv.stop());
beforeEach(() => srv.octopus.reset());

describe('@octopusdeploy/api-client against localcloud octopus', () => {
  it('lists spaces and finds environments by name', async () => {
    srv.octopus.ensureEnvironment('Staging');
    srv.octopus.ensureEnvironment('Production');
    const spaces = await new SpaceRepository(client).list({ partialName: 'Default' });
    expect(spaces.Items.map((s) => s.Id)).toEqual(['Spaces-1']);
    const envs = await new EnvironmentRepository(client, 'Default').list({ partialName: 'Prod' });
    expect(envs.Items.map((e) => e.Name)).toEqual(['Production']);
  });

  it('pages through machines in an environment and deletes the orphans only', async () => {
    const prod = srv.octopus.ensureEnvironment('Production');
    srv.octopus.bulkMachines({
      count: 45,
      environment: 'Production',
      name: (i) => `i-${i.toString(16).padStart(17, '0')}`,
    });
    srv.octopus.addMachines([{ name: 'gone-1', environments: ['Production'] }]);
    const repo = machines();
    const names: string[] = [];
    for (let skip = 0, page = 0; page < 10; page++, skip += 20) {
      const r = await repo.list({ environmentIds: prod.Id, skip, take: 20 });
      names.push(...r.Items.map((m) => m.Name));
      if (skip + 20 >= r.TotalResults) break;
    }
    expect(names).toHaveLength(46);

    const [orphan] = (await repo.list({ partialName: 'gone-' })).Items;
    expect(orphan?.Name).toBe('gone-1');
    await repo.del(orphan!);
    const remaining = await new EnvironmentRepository(client, 'Default').machines(
      { Id: prod.Id } as Parameters<EnvironmentRepository['machines']>[0],
      { take: 100 },
    );
    expect(remaining.TotalResults).toBe(45);
    expect(remaining.Items.some((m) => (m as unknown as MachineResource).Name === 'gone-1')).toBe(false);
    await expect(repo.get(orphan!.Id)).rejects.toMatchObject({ StatusCode: 404 });
  });

  it('creates a machine through the repository', async () => {
    const env = srv.octopus.ensureEnvironment('Production');
    const created = await machines().create({
      Name: 'i-0123456789abcdef0',
      Roles: ['web'],
      EnvironmentIds: [env.Id],
      Endpoint: {
        CommunicationStyle: 'TentaclePassive',
        Uri: 'https://127.10.0.9:10933/',
        Thumbprint: 'AB12',
      } as MachineResource['Endpoint'],
      SpaceId: 'Spaces-1',
    });
    expect(created.Id).toMatch(/^Machines-\d+$/);
    expect(srv.octopus.state.machines.get(created.Id)?.Endpoint.Uri).toBe('https://127.10.0.9:10933/');
  });

  it('surfaces a wrong API key as a 401 OctopusError with the server message', async () => {
    // The root document is anonymous, but a key that is present and wrong is refused even there.
    await expect(Client.create(config('API-NOTAVALIDKEY00000000000000000'))).rejects.toMatchObject({
      StatusCode: 401,
      message: expect.stringMatching(/API key you provided was not valid/),
    });
  });
});
