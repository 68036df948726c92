// The Octopus REST routes localcloud serves. Space-scoped routes answer under
// `/api/{spaceId}/…`, under `/api/spaces/{spaceId}/…`, and unscoped (`/api/machines`) in the
// default space, as Octopus does.
import {
  DEFAULT_TAKE,
  collection,
  environmentResource,
  machineResource,
  rootDocument,
  spaceResource,
  spaceRootDocument,
  templates,
} from './resources.js';
import { DEFAULT_SPACE_ID, type CommunicationStyle, type Machine, type OctopusState } from './state.js';

export interface OctopusRequest {
  method: string;
  /** Path segments after `api`, decoded. */
  segments: string[];
  query: URLSearchParams;
  body: unknown;
  /** The mount point, e.g. "/octopus": links are written under it. */
  base: string;
  /** Largest page the server returns, whatever `take` asks for (undefined: as asked). */
  maxTake?: number;
}

export interface OctopusResponse {
  status: number;
  body?: unknown;
  /** Set on successful mutations so they reach the mutation log. */
  mutation?: Record<string, unknown>;
}

export interface MatchedRoute {
  name: string;
  spaceId: string | undefined;
  run(): OctopusResponse;
}

/** An error Octopus would answer with `{ ErrorMessage, Errors }`. */
export class OctopusHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: string[] = [],
  ) {
    super(message);
  }
}

const SPACE_ID = /^Spaces-\d+$/i;
const notFound = () => new OctopusHttpError(404, 'The resource you requested was not found.');

function csv(query: URLSearchParams, name: string): string[] | undefined {
  const raw = query.getAll(name).flatMap((v) => v.split(','));
  const values = raw.map((v) => v.trim()).filter(Boolean);
  return values.length ? values : undefined;
}

function paging(query: URLSearchParams, maxTake?: number): { skip: number; take: number } {
  const int = (name: string, fallback: number) => {
    const v = query.get(name);
    if (v === null || v === '') return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0)
      throw new OctopusHttpError(400, 'There was a problem with your request.', [
        `The value '${v}' is not valid for ${name}.`,
      ]);
    return n;
  };
  const take = int('take', DEFAULT_TAKE);
  return { skip: int('skip', 0), take: maxTake === undefined ? take : Math.min(take, maxTake) };
}

const lower = (s: string) => s.toLowerCase();
const containsCi = (hay: string, needle: string) => lower(hay).includes(lower(needle));

function filterMachines(all: Machine[], q: URLSearchParams, spaceId: string, envId?: string): Machine[] {
  const ids = csv(q, 'ids');
  const name = q.get('name');
  const partial = q.get('partialName');
  const roles = csv(q, 'roles')?.map(lower);
  const envs = envId ? [envId] : csv(q, 'environmentIds');
  const disabled = q.get('isDisabled');
  const health = csv(q, 'healthStatuses');
  const styles = csv(q, 'commStyles');
  const thumbprint = q.get('thumbprint');
  return all.filter(
    (m) =>
      m.SpaceId === spaceId &&
      (!ids || ids.includes(m.Id)) &&
      (!name || lower(m.Name) === lower(name)) &&
      (!partial || containsCi(m.Name, partial)) &&
      (!roles || m.Roles.some((r) => roles.includes(lower(r)))) &&
      (!envs || m.EnvironmentIds.some((e) => envs.includes(e))) &&
      (disabled === null || disabled === '' || String(m.IsDisabled) === lower(disabled)) &&
      (!health || health.includes(m.HealthStatus)) &&
      (!styles || styles.includes(m.Endpoint.CommunicationStyle)) &&
      (!thumbprint || m.Endpoint.Thumbprint === thumbprint),
  );
}

function requireObject(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new OctopusHttpError(400, 'There was a problem with your request.', [
      'The request body must be a JSON object.',
    ]);
  return body as Record<string, unknown>;
}

function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
}

function createMachine(state: OctopusState, spaceId: string, body: unknown): Machine {
  const b = requireObject(body);
  const problems: string[] = [];
  const name = typeof b.Name === 'string' ? b.Name.trim() : '';
  if (!name) problems.push('Please provide a name for this deployment target.');
  else if ([...state.machines.values()].some((m) => m.SpaceId === spaceId && lower(m.Name) === lower(name)))
    problems.push(`A machine with the name '${name}' already exists in this space.`);
  const roles = stringList(b.Roles) ?? [];
  if (!roles.length) problems.push('Please specify at least one target role.');
  const envs = stringList(b.EnvironmentIds) ?? [];
  if (!envs.length) problems.push('Please specify at least one environment.');
  for (const e of envs)
    if (state.environments.get(e)?.SpaceId !== spaceId)
      problems.push(`The environment '${e}' was not found in this space.`);
  const ep =
    b.Endpoint && typeof b.Endpoint === 'object' ? (b.Endpoint as Record<string, unknown>) : undefined;
  const style = ep?.CommunicationStyle;
  if (style !== 'TentaclePassive' && style !== 'TentacleActive')
    problems.push('Endpoint.CommunicationStyle must be TentaclePassive or TentacleActive.');
  if (!ep || typeof ep.Thumbprint !== 'string' || !ep.Thumbprint)
    problems.push('Endpoint.Thumbprint is required.');
  if (!ep || typeof ep.Uri !== 'string' || !ep.Uri) problems.push('Endpoint.Uri is required.');
  if (problems.length) throw new OctopusHttpError(400, 'There was a problem with your request.', problems);
  return state.addMachine(spaceId, {
    Name: name,
    Roles: roles,
    EnvironmentIds: envs,
    Endpoint: {
      CommunicationStyle: style as CommunicationStyle,
      Uri: ep?.Uri as string,
      Thumbprint: ep?.Thumbprint as string,
    },
    IsDisabled: b.IsDisabled === true,
  });
}

function createEnvironment(state: OctopusState, spaceId: string, body: unknown) {
  const b = requireObject(body);
  const name = typeof b.Name === 'string' ? b.Name.trim() : '';
  if (!name)
    throw new OctopusHttpError(400, 'There was a problem with your request.', [
      'Please provide a name for this environment.',
    ]);
  if (state.environmentsInOrder(spaceId).some((e) => lower(e.Name) === lower(name)))
    throw new OctopusHttpError(400, 'There was a problem with your request.', [
      `An environment with the name '${name}' already exists.`,
    ]);
  return state.addEnvironment(spaceId, name, typeof b.Description === 'string' ? b.Description : '');
}

const ok = (body: unknown, status = 200): OctopusResponse => ({ status, body });

/** A route that answers one method; any other is a 405, as Octopus answers it. */
function only(
  req: OctopusRequest,
  name: string,
  allowed: string,
  spaceId: string | undefined,
  run: () => OctopusResponse,
): MatchedRoute {
  return {
    name,
    spaceId,
    run: () => {
      if (req.method !== allowed)
        throw new OctopusHttpError(405, `The HTTP method ${req.method} is not allowed on this resource.`);
      return run();
    },
  };
}

/** One page of a collection, paged by the request's `skip`/`take`. */
function page<T>(
  req: OctopusRequest,
  itemType: string,
  items: T[],
  render: (item: T) => object,
  path: string,
  template: string,
): OctopusResponse {
  const { skip, take } = paging(req.query, req.maxTake);
  return ok(collection({ itemType, items, render, skip, take, path, query: req.query, template }));
}

/** A request inside one space: its routes answer 404 when the space does not exist. */
interface InSpace {
  state: OctopusState;
  req: OctopusRequest;
  spaceId: string;
  route(name: string, allowed: string, run: () => OctopusResponse): MatchedRoute;
}

/** `/api/spaces` and `/api/spaces/{id}`. */
function spacesRoute(state: OctopusState, req: OctopusRequest, id: string | undefined): MatchedRoute {
  const { query, base } = req;
  if (id === undefined)
    return only(req, 'spaces.list', 'GET', undefined, () => {
      const ids = csv(query, 'ids');
      const partial = query.get('partialName');
      const items = [...state.spaces.values()]
        .filter((s) => (!ids || ids.includes(s.Id)) && (!partial || containsCi(s.Name, partial)))
        .sort((a, b) => a.Name.localeCompare(b.Name));
      const render = (s: (typeof items)[number]) => spaceResource(base, s);
      return page(req, 'Space', items, render, `${base}/api/spaces`, templates.spaces);
    });
  return only(req, 'spaces.get', 'GET', id, () => {
    const s = state.spaces.get(id);
    if (!s) throw notFound();
    return ok(spaceResource(base, s));
  });
}

function listEnvironments({ state, req, spaceId }: InSpace): OctopusResponse {
  const { query, base } = req;
  const ids = csv(query, 'ids');
  const name = query.get('name');
  const partial = query.get('partialName');
  const items = state
    .environmentsInOrder(spaceId)
    .filter(
      (e) =>
        (!ids || ids.includes(e.Id)) &&
        (!name || lower(e.Name) === lower(name)) &&
        (!partial || containsCi(e.Name, partial)),
    );
  const render = (e: (typeof items)[number]) => environmentResource(base, e);
  return page(
    req,
    'Environment',
    items,
    render,
    `${base}/api/${spaceId}/environments`,
    templates.environments,
  );
}

/** `/environments`, `/environments/{id}`, `/environments/{id}/machines`. */
function environmentRoutes(
  s: InSpace,
  id: string | undefined,
  sub: string | undefined,
): MatchedRoute | undefined {
  const { state, req, spaceId } = s;
  const base = req.base;
  if (id === undefined && req.method === 'POST')
    return s.route('environments.create', 'POST', () => {
      const env = createEnvironment(state, spaceId, req.body);
      return { status: 201, body: environmentResource(base, env), mutation: { Id: env.Id, Name: env.Name } };
    });
  if (id === undefined) return s.route('environments.list', 'GET', () => listEnvironments(s));
  const envInSpace = () => {
    const env = state.environments.get(id);
    if (!env || env.SpaceId !== spaceId) throw notFound();
    return env;
  };
  if (sub === undefined)
    return s.route('environments.get', 'GET', () => ok(environmentResource(base, envInSpace())));
  if (lower(sub) !== 'machines') return undefined;
  return s.route('environments.machines', 'GET', () => {
    const e = envInSpace();
    const items = filterMachines(state.machinesByName(), req.query, spaceId, e.Id);
    const path = `${base}/api/${spaceId}/environments/${e.Id}/machines`;
    return page(req, 'Machine', items, (m) => machineResource(base, m), path, templates.envMachines);
  });
}

/** `/machines` and `/machines/{id}`. */
function machineRoutes(s: InSpace, id: string | undefined): MatchedRoute {
  const { state, req, spaceId } = s;
  const base = req.base;
  if (id === undefined && req.method === 'POST')
    return s.route('machines.create', 'POST', () => {
      const m = createMachine(state, spaceId, req.body);
      return { status: 201, body: machineResource(base, m), mutation: { Id: m.Id, Name: m.Name } };
    });
  if (id === undefined)
    return s.route('machines.list', 'GET', () => {
      const items = filterMachines(state.machinesByName(), req.query, spaceId);
      const path = `${base}/api/${spaceId}/machines`;
      return page(req, 'Machine', items, (m) => machineResource(base, m), path, templates.machines);
    });
  const found = () => {
    const m = state.machines.get(id);
    if (!m || m.SpaceId !== spaceId) throw notFound();
    return m;
  };
  if (req.method === 'DELETE')
    return s.route('machines.delete', 'DELETE', () => {
      const m = found();
      state.deleteMachine(m.Id);
      return { status: 200, mutation: { Id: m.Id, Name: m.Name } };
    });
  return s.route('machines.get', 'GET', () => ok(machineResource(base, found())));
}

/** The space a path names (`/Spaces-1/…` or `/spaces/Spaces-1/…`; none: the default) and the rest. */
function spaceOf(segments: string[]): { spaceId: string; rest: string[] } {
  let segs = segments;
  if (lower(segs[0] ?? '') === 'spaces' && SPACE_ID.test(segs[1] ?? '')) segs = segs.slice(1);
  if (SPACE_ID.test(segs[0] ?? '')) return { spaceId: segs[0] as string, rest: segs.slice(1) };
  return { spaceId: DEFAULT_SPACE_ID, rest: segs };
}

/** Finds the route for a request; undefined when no route has that path. */
export function matchRoute(state: OctopusState, req: OctopusRequest): MatchedRoute | undefined {
  const segs = req.segments;
  if (segs.length === 0) return only(req, 'root', 'GET', undefined, () => ok(rootDocument(req.base)));
  if (lower(segs[0] ?? '') === 'spaces' && segs.length <= 2) return spacesRoute(state, req, segs[1]);
  const { spaceId, rest: path } = spaceOf(segs);
  const space = state.spaces.get(spaceId);
  const s: InSpace = {
    state,
    req,
    spaceId,
    route: (name, allowed, run) =>
      only(req, name, allowed, spaceId, () => {
        if (!space) throw new OctopusHttpError(404, `The space '${spaceId}' was not found.`);
        return run();
      }),
  };
  const [collectionName, id, sub, ...rest] = path;
  if (collectionName === undefined)
    return s.route('space.root', 'GET', () => ok(spaceRootDocument(req.base, space!)));
  if (rest.length) return undefined;
  const coll = lower(collectionName);
  if (coll === 'environments') return environmentRoutes(s, id, sub);
  if (coll === 'machines' && sub === undefined) return machineRoutes(s, id);
  return undefined;
}
