// The Octopus world: spaces, environments and deployment targets ("machines"), with ids that,
// as in Octopus, are global across spaces (Machines-7 exists in one space only).

export type CommunicationStyle = 'TentaclePassive' | 'TentacleActive';
export type HealthStatus = 'Healthy' | 'Unhealthy' | 'Unavailable' | 'Unknown' | 'HasWarnings';

export interface Space {
  Id: string;
  Name: string;
  Description: string;
  IsDefault: boolean;
  TaskQueueStopped: boolean;
}

export interface Environment {
  Id: string;
  Name: string;
  Description: string;
  SortOrder: number;
  UseGuidedFailure: boolean;
  AllowDynamicInfrastructure: boolean;
  SpaceId: string;
}

export interface Endpoint {
  Id: string | null;
  CommunicationStyle: CommunicationStyle;
  Uri: string;
  Thumbprint: string;
}

export interface Machine {
  Id: string;
  Name: string;
  Roles: string[];
  EnvironmentIds: string[];
  Endpoint: Endpoint;
  Status: 'Online' | 'Offline' | 'Unknown' | 'Disabled';
  HealthStatus: HealthStatus;
  StatusSummary: string;
  IsDisabled: boolean;
  MachinePolicyId: string;
  TenantedDeploymentParticipation: 'Untenanted';
  TenantIds: string[];
  TenantTags: string[];
  SpaceId: string;
}

/** What a caller gives to create a machine; everything else gets Octopus's defaults. */
export interface NewMachine {
  Name: string;
  Roles: string[];
  EnvironmentIds: string[];
  Endpoint?: Partial<Endpoint>;
  HealthStatus?: HealthStatus;
  IsDisabled?: boolean;
}

export const DEFAULT_SPACE_ID = 'Spaces-1';

export class OctopusState {
  readonly spaces = new Map<string, Space>();
  readonly environments = new Map<string, Environment>();
  readonly machines = new Map<string, Machine>();
  private counters = { Spaces: 1, Environments: 0, Machines: 0 };
  // Octopus lists machines by name; sorting 10,000 per page request would dominate big runs.
  private sortedMachines: Machine[] | undefined;

  constructor() {
    this.spaces.set(DEFAULT_SPACE_ID, {
      Id: DEFAULT_SPACE_ID,
      Name: 'Default',
      Description: '',
      IsDefault: true,
      TaskQueueStopped: false,
    });
  }

  private nextId(kind: keyof OctopusState['counters']): string {
    this.counters[kind] += 1;
    return `${kind}-${this.counters[kind]}`;
  }

  addSpace(name: string): Space {
    const space: Space = {
      Id: this.nextId('Spaces'),
      Name: name,
      Description: '',
      IsDefault: false,
      TaskQueueStopped: false,
    };
    this.spaces.set(space.Id, space);
    return space;
  }

  addEnvironment(spaceId: string, name: string, description = ''): Environment {
    const sortOrder = [...this.environments.values()].filter((e) => e.SpaceId === spaceId).length;
    const env: Environment = {
      Id: this.nextId('Environments'),
      Name: name,
      Description: description,
      SortOrder: sortOrder,
      UseGuidedFailure: false,
      AllowDynamicInfrastructure: true,
      SpaceId: spaceId,
    };
    this.environments.set(env.Id, env);
    return env;
  }

  addMachine(spaceId: string, m: NewMachine): Machine {
    const style = m.Endpoint?.CommunicationStyle ?? 'TentaclePassive';
    const id = this.nextId('Machines');
    const thumbprint = m.Endpoint?.Thumbprint ?? thumbprintFor(id);
    const uri =
      m.Endpoint?.Uri ??
      (style === 'TentacleActive' ? `poll://${id.toLowerCase()}/` : `https://${m.Name}:10933/`);
    const disabled = m.IsDisabled ?? false;
    const machine: Machine = {
      Id: id,
      Name: m.Name,
      Roles: [...m.Roles],
      EnvironmentIds: [...m.EnvironmentIds],
      Endpoint: { Id: null, CommunicationStyle: style, Uri: uri, Thumbprint: thumbprint },
      Status: disabled ? 'Disabled' : 'Online',
      HealthStatus: m.HealthStatus ?? 'Healthy',
      StatusSummary: 'Octopus was able to successfully establish a connection with this machine.',
      IsDisabled: disabled,
      MachinePolicyId: 'MachinePolicies-1',
      TenantedDeploymentParticipation: 'Untenanted',
      TenantIds: [],
      TenantTags: [],
      SpaceId: spaceId,
    };
    this.machines.set(id, machine);
    this.sortedMachines = undefined;
    return machine;
  }

  deleteMachine(id: string): boolean {
    this.sortedMachines = undefined;
    return this.machines.delete(id);
  }

  machinesByName(): Machine[] {
    this.sortedMachines ??= [...this.machines.values()].sort(
      (a, b) => compareName(a.Name, b.Name) || compareName(a.Id, b.Id),
    );
    return this.sortedMachines;
  }

  environmentsInOrder(spaceId: string): Environment[] {
    return [...this.environments.values()]
      .filter((e) => e.SpaceId === spaceId)
      .sort((a, b) => a.SortOrder - b.SortOrder);
  }
}

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });
function compareName(a: string, b: string): number {
  return collator.compare(a, b);
}

/** A stable, Octopus-looking 40-hex thumbprint derived from the id. */
function thumbprintFor(id: string): string {
  let h = 2166136261;
  let out = '';
  for (let round = 0; out.length < 40; round++) {
    for (const c of `${id}:${round}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
    out += h.toString(16).toUpperCase().padStart(8, '0');
  }
  return out.slice(0, 40);
}
