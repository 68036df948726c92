// Spaces, environments and deployment targets: name resolution and complete (all-page) listing.
import { oneLine } from '../core/untrusted.js';
import { ActionFailure } from '../core/errors.js';
import type { OctopusApi, Query } from './client.js';
import type { OctopusCollection, OctopusEnvironment, OctopusMachine, OctopusSpace } from './resources.js';

/** Octopus's "all of them" page size, as its own clients send it (Int32.MaxValue). */
export const TAKE_ALL = 2147483647;
/** Bounds a listing even if a server kept answering with pages. */
const MAX_PAGES = 10_000;

/**
 * Reads every page of a collection, advancing by what each page returned: a server that caps
 * its pages below `pageSize` is read in as many pages as it needs.
 */
export async function listAll<T>(
  api: OctopusApi,
  path: string,
  query: Query,
  pageSize: number,
  signal?: AbortSignal,
): Promise<T[]> {
  const items: T[] = [];
  let total = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    const r = await api.get<OctopusCollection<T>>(
      path,
      // skip + take stays within Int32 for a server that adds them.
      { ...query, skip: items.length, take: Math.min(pageSize, TAKE_ALL - items.length) },
      signal,
    );
    total = r.TotalResults;
    items.push(...r.Items);
    if (r.Items.length === 0 || items.length >= total) return items;
  }
  throw new ActionFailure(
    `Octopus ${path}: still paging after ${MAX_PAGES} pages (${items.length} of ${total} read)`,
  );
}

const sameName = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0;

/** A space by id (Spaces-N) or by name. */
export async function resolveSpace(
  api: OctopusApi,
  space: string,
  signal?: AbortSignal,
): Promise<OctopusSpace> {
  const spaces = await api.get<OctopusCollection<OctopusSpace>>(
    '/api/spaces',
    { partialName: /^Spaces-\d+$/i.test(space) ? undefined : space, take: TAKE_ALL },
    signal,
  );
  const found = spaces.Items.find(
    (s) => s.Id.toLowerCase() === space.toLowerCase() || sameName(s.Name, space),
  );
  if (!found) {
    const names = spaces.Items.map((s) => oneLine(s.Name)).join(', ');
    throw new ActionFailure(`Octopus space "${space}" was not found${names ? ` (found: ${names})` : ''}`);
  }
  return found;
}

/** Every named environment in the space, or a failure naming the ones that do not exist. */
export async function resolveEnvironments(
  api: OctopusApi,
  spaceId: string,
  names: string[],
  signal?: AbortSignal,
): Promise<OctopusEnvironment[]> {
  const all = await listAll<OctopusEnvironment>(api, `/api/${spaceId}/environments`, {}, 200, signal);
  const found: OctopusEnvironment[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const env = all.find((e) => sameName(e.Name, name) || e.Id === name);
    if (env) found.push(env);
    else missing.push(name);
  }
  if (missing.length)
    throw new ActionFailure(
      `Octopus environment${missing.length > 1 ? 's' : ''} not found in ${spaceId}: ${missing.join(', ')} (it has: ${all.map((e) => oneLine(e.Name)).join(', ') || 'none'})`,
    );
  return found;
}

/** Every deployment target in any of the environments (and with any of the roles, when given). */
export async function listMachines(
  api: OctopusApi,
  spaceId: string,
  filter: { environmentIds: string[]; roles: string[] },
  pageSize: number,
  signal?: AbortSignal,
): Promise<OctopusMachine[]> {
  const machines = await listAll<OctopusMachine>(
    api,
    `/api/${spaceId}/machines`,
    {
      environmentIds: filter.environmentIds.join(','),
      roles: filter.roles.length ? filter.roles.join(',') : undefined,
    },
    pageSize,
    signal,
  );
  // A target deleted while we paged shifts later pages; never count one twice.
  const seen = new Set<string>();
  return machines.filter((m) => !seen.has(m.Id) && seen.add(m.Id));
}

export function deleteMachine(
  api: OctopusApi,
  spaceId: string,
  machineId: string,
  signal?: AbortSignal,
): Promise<'deleted' | 'not-found'> {
  return api.delete(`/api/${spaceId}/machines/${encodeURIComponent(machineId)}`, signal);
}
