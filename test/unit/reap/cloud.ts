// localcloud in-process for the reap unit tests: its Octopus (lc.octopus) through the action's
// own Octopus client, and its EC2 instances through real SDK clients, on the bake's virtual
// clock (test/unit/bake/cloud.ts). Targets and instances are seeded straight into state with
// the fixed names, ids, states and addresses the tests read in their messages.
import { memoryLog } from '../../../src/core/log.js';
import { createOctopusClient, type OctopusApi } from '../../../src/octopus/client.js';
import type { ReapOptions } from '../../../src/reap/reap.js';
import { launchInstance } from '../../localcloud/aws/ec2-instances.js';
import { DEFAULT_API_KEY } from '../../localcloud/octopus/index.js';
import { baseImageId } from '../../localcloud/seed.js';
import type { InstanceStateName } from '../../localcloud/state.js';
import { startCloud, type UnitCloud } from '../bake/cloud.js';

const AL2023_NAME = 'al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64';

export interface TargetSeed {
  Name: string;
  /** Environments by name (default Production); the space has Production and Staging. */
  environments?: string[];
  Endpoint?: { CommunicationStyle: 'TentaclePassive' | 'TentacleActive'; Uri: string };
}

export interface InstanceSeed {
  id: string;
  /** An EC2 instance state name. */
  state: string;
  region?: string;
  ip?: string;
}

export interface ReapCloud extends UnitCloud {
  octopus: OctopusApi;
  /** A fresh world with these Octopus targets (Machines-1, -2, … in order) and EC2 instances. */
  setup(targets: TargetSeed[], instances: InstanceSeed[]): void;
  /** The names of the targets Octopus still has. */
  targetNames(): string[];
  /** Ids of the targets deleted (successful DELETEs, from Octopus's mutation log). */
  deletes(): string[];
  /** DescribeInstances calls as { region, values }: how many filter values each asked about. */
  describeCalls(): { region: string; values: number }[];
}

export async function startReapCloud(): Promise<ReapCloud> {
  const cloud = await startCloud();
  const { lc } = cloud;
  const octopus = createOctopusClient({ url: `${lc.url}/octopus`, apiKey: DEFAULT_API_KEY }, cloud.clock);
  return {
    ...cloud,
    octopus,
    setup(targets, instances) {
      cloud.reset();
      lc.octopus.reset();
      lc.octopus.seed({ environments: ['Production', 'Staging'] });
      lc.octopus.seed({
        machines: targets.map((t) => ({
          name: t.Name,
          environments: t.environments ?? ['Production'],
          roles: ['web'],
          ...(t.Endpoint ? { uri: t.Endpoint.Uri, style: t.Endpoint.CommunicationStyle } : {}),
        })),
      });
      for (const i of instances) {
        const region = lc.world.region(i.region ?? 'us-east-1');
        const launched = launchInstance(region, { imageId: baseImageId(region.name, AL2023_NAME) });
        region.ec2.instances.delete(launched.instanceId);
        region.ec2.instances.set(i.id, {
          ...launched,
          instanceId: i.id,
          state: i.state as InstanceStateName,
          nextAt: undefined,
          ...(i.state === 'terminated' ? { terminatedAt: lc.world.clock.now() } : {}),
          ...(i.ip ? { privateIp: i.ip } : {}),
        });
      }
    },
    targetNames: () => [...lc.octopus.state.machines.values()].map((m) => m.Name),
    deletes: () =>
      lc.octopus.logs.mutations
        .filter((m) => m.operation === 'machines.delete')
        .map((m) => (m.params as { Id: string }).Id),
    describeCalls: () =>
      cloud.calls({ operation: 'DescribeInstances' }).map((c) => ({
        region: c.region,
        values: (c.params.Filters as { Values?: string[] }[] | undefined)?.[0]?.Values?.length ?? 0,
      })),
  };
}

/** The options the reap unit tests start from: Production, us-east-1, the default caps, small pages. */
export const reapOptions = (o: Partial<ReapOptions> = {}): ReapOptions => ({
  space: 'Default',
  environments: ['Production'],
  roles: [],
  matchBy: 'instance-id',
  instanceIdPattern: /i-[0-9a-f]{8,17}/,
  regions: ['us-east-1'],
  reapStates: ['terminated', 'shutting-down', 'not-found'],
  maxReap: 10,
  maxReapPercent: 50,
  dryRun: false,
  concurrency: 4,
  pageSize: 30,
  ...o,
});

/** A fresh world with these targets and instances, and a reap context over it with a memory log. */
export function setupReap(
  cloud: ReapCloud,
  targets: TargetSeed[],
  instances: InstanceSeed[],
  octopus = cloud.octopus,
) {
  cloud.setup(targets, instances);
  const log = memoryLog();
  const ctx = {
    clients: { ec2: cloud.clients.ec2, octopus },
    clock: cloud.clock,
    log,
    signal: new AbortController().signal,
  };
  return { log, ctx };
}
