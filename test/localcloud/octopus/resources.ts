// JSON as Octopus serves it: resources carry hypermedia `Links` that include the server's
// virtual directory (here the mount point, e.g. "/octopus"), and collections carry paging.
import type { Environment, Machine, Space } from './state.js';

const MACHINE_FILTERS =
  'skip,take,name,ids,partialName,roles,isDisabled,healthStatuses,commStyles,tenantIds,tenantTags,environmentIds,thumbprint,deploymentId,shellNames';
const ENV_MACHINE_FILTERS =
  'skip,take,partialName,roles,isDisabled,healthStatuses,commStyles,tenantIds,tenantTags,shellNames';

export const DEFAULT_TAKE = 30;
export const TAKE_ALL = 2147483647;

export function rootDocument(base: string): object {
  const api = `${base}/api`;
  return {
    Application: 'Octopus Deploy',
    Version: '2024.4.0',
    ApiVersion: '3.0.0',
    InstallationId: '00000000-0000-4000-8000-10ca1c10d000',
    IsEarlyAccessProgram: false,
    HasLongTermSupport: false,
    Links: {
      Self: api,
      Spaces: `${api}/spaces{/id}{?skip,ids,take,partialName}`,
      Environments: `${api}/environments{/id}{?name,skip,ids,take,partialName}`,
      Machines: `${api}/machines{/id}{?${MACHINE_FILTERS}}`,
      CurrentUser: `${api}/users/me`,
      SpaceHome: `${api}/{spaceId}`,
    },
  };
}

export function spaceResource(base: string, s: Space): object {
  return {
    ...s,
    SpaceManagersTeams: [],
    SpaceManagersTeamMembers: [],
    Links: { Self: `${base}/api/spaces/${s.Id}`, SpaceHome: `${base}/api/${s.Id}` },
  };
}

export function spaceRootDocument(base: string, s: Space): object {
  const api = `${base}/api/${s.Id}`;
  return {
    Links: {
      Self: api,
      Environments: `${api}/environments{/id}{?name,skip,ids,take,partialName}`,
      Machines: `${api}/machines{/id}{?${MACHINE_FILTERS}}`,
    },
  };
}

export function environmentResource(base: string, e: Environment): object {
  const self = `${base}/api/${e.SpaceId}/environments/${e.Id}`;
  return {
    ...e,
    ExtensionSettings: [],
    Links: {
      Self: self,
      Machines: `${self}/machines{?${ENV_MACHINE_FILTERS}}`,
      Web: `${base}/app#/${e.SpaceId}/infrastructure/environments/${e.Id}`,
    },
  };
}

export function machineResource(base: string, m: Machine): object {
  const self = `${base}/api/${m.SpaceId}/machines/${m.Id}`;
  return {
    ...m,
    // Octopus still serves the endpoint's Uri and Thumbprint at the top level for old clients.
    Uri: m.Endpoint.CommunicationStyle === 'TentaclePassive' ? m.Endpoint.Uri : null,
    Thumbprint: m.Endpoint.Thumbprint,
    HasLatestCalamari: true,
    IsInProcess: false,
    Endpoint: { ...m.Endpoint, Links: {} },
    Links: {
      Self: self,
      Connection: `${self}/connection`,
      TasksTemplate: `${self}/tasks{?skip,take,type}`,
      Web: `${base}/app#/${m.SpaceId}/infrastructure/machines/${m.Id}`,
    },
  };
}

/** One page of a collection, with Octopus's paging fields and Page.* links. */
export function collection<T>(opts: {
  itemType: string;
  items: T[];
  render: (item: T) => object;
  skip: number;
  take: number;
  path: string;
  query: URLSearchParams;
  template: string;
}): object {
  const { items, skip, take, path, query } = opts;
  const total = items.length;
  const pages = take > 0 ? Math.max(1, Math.ceil(total / take)) : 1;
  const pageLink = (s: number, t: number) => {
    const q = new URLSearchParams(query);
    q.set('skip', String(s));
    q.set('take', String(t));
    return `${path}?${q.toString()}`;
  };
  const links: Record<string, string> = {
    Self: pageLink(skip, take),
    Template: `${path}{?${opts.template}}`,
    'Page.All': pageLink(0, TAKE_ALL),
    'Page.Current': pageLink(skip, take),
    'Page.Last': pageLink(take > 0 ? (pages - 1) * take : 0, take),
  };
  if (skip > 0 && take > 0) links['Page.Previous'] = pageLink(Math.max(0, skip - take), take);
  if (take > 0 && skip + take < total) links['Page.Next'] = pageLink(skip + take, take);
  return {
    ItemType: opts.itemType,
    TotalResults: total,
    ItemsPerPage: take,
    NumberOfPages: pages,
    LastPageNumber: pages - 1,
    Items: items.slice(skip, take > 0 ? skip + take : skip).map(opts.render),
    Links: links,
  };
}

export const templates = {
  machines: MACHINE_FILTERS,
  envMachines: ENV_MACHINE_FILTERS,
  environments: 'name,skip,ids,take,partialName',
  spaces: 'skip,ids,take,partialName',
};
