// The parts of Octopus's REST resources the actions read. Octopus sends more; we type what we use.

export interface OctopusCollection<T> {
  ItemType: string;
  TotalResults: number;
  ItemsPerPage: number;
  NumberOfPages: number;
  LastPageNumber: number;
  Items: T[];
  Links: Record<string, string>;
}

export interface OctopusSpace {
  Id: string;
  Name: string;
  IsDefault?: boolean;
}

export interface OctopusEnvironment {
  Id: string;
  Name: string;
  SpaceId?: string;
}

export interface OctopusMachine {
  Id: string;
  Name: string;
  Roles: string[];
  EnvironmentIds: string[];
  IsDisabled?: boolean;
  HealthStatus?: string;
  SpaceId?: string;
  Endpoint?: { CommunicationStyle?: string; Uri?: string | null };
  /** Older servers also put the tentacle URI here. */
  Uri?: string | null;
}
