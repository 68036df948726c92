// In-memory stand-ins for the two sides reap talks to: an Octopus that pages and deletes, and
// an EC2 (aws-sdk-client-mock) that answers DescribeInstances filters from a table of instances.
import {
  DescribeInstancesCommand,
  EC2Client,
  type DescribeInstancesCommandInput,
  type Instance,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { OctopusApiError, type OctopusApi, type Query } from '../../../src/octopus/client.js';
import type { OctopusMachine } from '../../../src/octopus/resources.js';

export interface FakeOctopus extends OctopusApi {
  machines: Map<string, OctopusMachine>;
  deletes: string[];
  /** Status to answer a call with, by "<METHOD> <path>" prefix, once per entry. */
  failures: Array<{ match: RegExp; status: number }>;
}

export function fakeOctopus(
  machines: Array<Partial<OctopusMachine> & { Name: string }>,
  envs = ['Production', 'Staging'],
): FakeOctopus {
  const map = new Map<string, OctopusMachine>();
  machines.forEach((m, i) => {
    const id = m.Id ?? `Machines-${i + 1}`;
    map.set(id, { Id: id, Roles: ['web'], EnvironmentIds: ['Environments-1'], ...m });
  });
  const environments = envs.map((Name, i) => ({ Id: `Environments-${i + 1}`, Name }));
  let requests = 0;
  const fake: FakeOctopus = {
    machines: map,
    deletes: [],
    failures: [],
    get requests() {
      return requests;
    },
    async get<T>(path: string, query: Query = {}): Promise<T> {
      requests++;
      const failure = fake.failures.findIndex((f) => f.match.test(`GET ${path}`));
      if (failure >= 0) {
        const [f] = fake.failures.splice(failure, 1);
        throw new OctopusApiError(f!.status, 'GET', path, 'injected');
      }
      const skip = Number(query.skip ?? 0);
      const take = Number(query.take ?? 30);
      const page = (items: unknown[]) =>
        ({
          TotalResults: items.length,
          ItemsPerPage: take,
          Items: items.slice(skip, skip + take),
          Links: {},
        }) as T;
      if (path === '/api/spaces') return page([{ Id: 'Spaces-1', Name: 'Default' }]);
      if (path.endsWith('/environments')) return page(environments);
      if (path.endsWith('/machines')) {
        const envIds = String(query.environmentIds ?? '').split(',');
        const roles = query.roles ? String(query.roles).split(',') : undefined;
        return page(
          [...map.values()].filter(
            (m) =>
              m.EnvironmentIds.some((e) => envIds.includes(e)) &&
              (!roles || m.Roles.some((r) => roles.includes(r))),
          ),
        );
      }
      throw new OctopusApiError(404, 'GET', path, 'not found');
    },
    async delete(path: string) {
      requests++;
      const failure = fake.failures.findIndex((f) => f.match.test(`DELETE ${path}`));
      if (failure >= 0) {
        const [f] = fake.failures.splice(failure, 1);
        throw new OctopusApiError(f!.status, 'DELETE', path, 'injected');
      }
      const id = decodeURIComponent(path.split('/').pop() ?? '');
      fake.deletes.push(id);
      return map.delete(id) ? 'deleted' : 'not-found';
    },
  };
  return fake;
}

export interface FakeInstance {
  id: string;
  state: string;
  region?: string;
  ip?: string;
}

/** EC2 that filters a table as DescribeInstances does; counts calls per region. */
export function fakeEc2(instances: FakeInstance[]) {
  const mock = mockClient(EC2Client);
  const calls: Array<{ region: string; values: number }> = [];
  const failOn = new Set<number>();
  const clients = new Map<string, EC2Client>();
  const ec2 = (region = 'us-east-1') => {
    let c = clients.get(region);
    if (!c) {
      c = new EC2Client({ region, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
      clients.set(region, c);
    }
    return c;
  };
  mock
    .on(DescribeInstancesCommand)
    .callsFake(async (input: DescribeInstancesCommandInput, getClient: () => EC2Client) => {
      const region = await getClient().config.region();
      const filter = input.Filters?.[0];
      calls.push({ region, values: filter?.Values?.length ?? 0 });
      if (input.InstanceIds) throw new Error('reap must not use InstanceIds');
      if ((filter?.Values?.length ?? 0) > 200)
        throw Object.assign(new Error('too many filter values'), {
          name: 'FilterLimitExceeded',
          $metadata: {},
        });
      if (failOn.has(calls.length))
        throw Object.assign(new Error('We encountered an internal error.'), {
          name: 'InternalError',
          $metadata: { httpStatusCode: 500, requestId: 'req-1' },
        });
      const values = new Set(filter?.Values ?? []);
      const key = (i: FakeInstance) => (filter?.Name === 'instance-id' ? i.id : i.ip);
      const found: Instance[] = instances
        .filter((i) => (i.region ?? 'us-east-1') === region && values.has(key(i) ?? ''))
        .map((i) => ({ InstanceId: i.id, State: { Name: i.state as never }, PrivateIpAddress: i.ip }));
      return { Reservations: found.length ? [{ Instances: found }] : [] };
    });
  return { mock, ec2, calls, failOn };
}
