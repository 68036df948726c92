// Seeding for tests and the demo: straight into state, no HTTP, so 10,000 targets take
// milliseconds. Environments are named; machines are registered the usual way for EC2
// (name = instance id, passive tentacle at the instance's private address).
import {
  DEFAULT_SPACE_ID,
  type CommunicationStyle,
  type Environment,
  type HealthStatus,
  type Machine,
  type OctopusState,
} from './state.js';

export interface MachineSeed {
  name: string;
  /** Environment names (or ids) in the space; created when missing. */
  environments: string[];
  roles?: string[];
  /** Tentacle URI; defaults to https://<name>:10933/ (passive) or poll://… (active). */
  uri?: string;
  style?: CommunicationStyle;
  healthStatus?: HealthStatus;
  disabled?: boolean;
}

export interface OctopusSeed {
  /** Extra spaces by name (Default always exists). */
  spaces?: string[];
  environments?: string[];
  machines?: MachineSeed[];
  /** The space the environments and machines go into, by name or id (default: Default). */
  space?: string;
}

export function resolveSpaceId(state: OctopusState, space: string | undefined): string {
  if (!space) return DEFAULT_SPACE_ID;
  if (state.spaces.has(space)) return space;
  const byName = [...state.spaces.values()].find((s) => s.Name.toLowerCase() === space.toLowerCase());
  return (byName ?? state.addSpace(space)).Id;
}

/** The environment with that name or id in the space, created when missing. */
export function ensureEnvironment(state: OctopusState, name: string, space?: string): Environment {
  const spaceId = resolveSpaceId(state, space);
  const existing = state
    .environmentsInOrder(spaceId)
    .find((e) => e.Id === name || e.Name.toLowerCase() === name.toLowerCase());
  return existing ?? state.addEnvironment(spaceId, name);
}

export function addMachines(state: OctopusState, seeds: MachineSeed[], space?: string): Machine[] {
  const spaceId = resolveSpaceId(state, space);
  return seeds.map((s) =>
    state.addMachine(spaceId, {
      Name: s.name,
      Roles: s.roles ?? ['web'],
      EnvironmentIds: s.environments.map((e) => ensureEnvironment(state, e, spaceId).Id),
      Endpoint: { CommunicationStyle: s.style ?? 'TentaclePassive', ...(s.uri ? { Uri: s.uri } : {}) },
      ...(s.healthStatus ? { HealthStatus: s.healthStatus } : {}),
      ...(s.disabled ? { IsDisabled: true } : {}),
    }),
  );
}

/** N machines in one environment named by `name(i)` (default: a fake instance id per index). */
export function bulkMachines(
  state: OctopusState,
  opts: {
    count: number;
    environment: string;
    roles?: string[];
    name?: (i: number) => string;
    uri?: (i: number) => string;
    space?: string;
  },
): Machine[] {
  const seeds: MachineSeed[] = [];
  for (let i = 0; i < opts.count; i++) {
    const name = opts.name ? opts.name(i) : `i-${(0x10000000 + i).toString(16).padStart(17, '0')}`;
    seeds.push({
      name,
      environments: [opts.environment],
      ...(opts.roles ? { roles: opts.roles } : {}),
      ...(opts.uri ? { uri: opts.uri(i) } : {}),
    });
  }
  return addMachines(state, seeds, opts.space);
}

export function applySeed(state: OctopusState, seed: OctopusSeed): void {
  for (const s of seed.spaces ?? []) resolveSpaceId(state, s);
  for (const e of seed.environments ?? []) ensureEnvironment(state, e, seed.space);
  addMachines(state, seed.machines ?? [], seed.space);
}
