// localcloud's Octopus Deploy: `createOctopus()` returns a handler the localcloud server mounts
// at `/octopus`, plus the state, faults and logs tests drive it through. See README-octopus.md.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_ACCESS_TOKEN, DEFAULT_API_KEY, authenticate, type Credentials } from './auth.js';
import { OctopusFaults } from './faults.js';
import { OctopusLogs, errorCodeFor, type OctopusLogSink } from './logs.js';
import { OctopusHttpError, matchRoute, type OctopusResponse } from './routes.js';
import { addMachines, applySeed, bulkMachines, ensureEnvironment, type OctopusSeed } from './seed.js';
import { OctopusState } from './state.js';

export { DEFAULT_ACCESS_TOKEN, DEFAULT_API_KEY } from './auth.js';
export type { OctopusFaultRule } from './faults.js';
export type { OctopusCallEntry, OctopusMutationEntry, OctopusLogSink } from './logs.js';
export type { MachineSeed, OctopusSeed } from './seed.js';
export type { Environment, Machine, Space } from './state.js';

export interface OctopusOptions {
  apiKey?: string;
  accessToken?: string;
  seed?: OctopusSeed;
  /** Seeds the fault generator so rate-based faults repeat run to run. */
  faultSeed?: number;
  /** Also send call and mutation entries here (localcloud's shared logs). */
  logSink?: OctopusLogSink;
}

export type Octopus = ReturnType<typeof createOctopus>;

const MAX_BODY = 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new OctopusHttpError(413, 'The request body is too large.');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new OctopusHttpError(400, 'There was a problem with your request.', [
      'The request body is not valid JSON.',
    ]);
  }
}

function send(res: ServerResponse, r: OctopusResponse): void {
  const body = r.body === undefined ? '' : JSON.stringify(r.body);
  res.writeHead(r.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createOctopus(opts: OctopusOptions = {}) {
  const creds: Credentials = {
    apiKeys: new Set([opts.apiKey ?? DEFAULT_API_KEY]),
    accessTokens: new Set([opts.accessToken ?? DEFAULT_ACCESS_TOKEN]),
  };
  let state = new OctopusState();
  const faults = new OctopusFaults(opts.faultSeed ?? 1);
  const logs = new OctopusLogs(opts.logSink);
  if (opts.seed) applySeed(state, opts.seed);
  /**
   * Server behaviour the docs leave open. maxTake: Octopus documents skip/take paging but no
   * largest page; by default a page holds what `take` asks for, set this to model a server that
   * caps pages (ItemsPerPage then says the cap).
   */
  const settings: { maxTake?: number } = {};

  /** Serves one request whose path below the mount point is `subpath` (e.g. "/api/Spaces-1/machines"). */
  async function handle(req: IncomingMessage, res: ServerResponse, subpath: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localcloud');
    const path = subpath.split('?')[0] ?? '';
    // Links carry the mount point, as Octopus's carry its virtual directory.
    const base = url.pathname.endsWith(path)
      ? url.pathname.slice(0, url.pathname.length - path.length).replace(/\/$/, '')
      : '';
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    const method = (req.method ?? 'GET').toUpperCase();
    let operation = 'unknown';
    let region = '-';
    const params: Record<string, unknown> = { method, path, ...Object.fromEntries(url.searchParams) };
    let response: OctopusResponse;
    try {
      if (parts[0]?.toLowerCase() !== 'api')
        throw new OctopusHttpError(404, 'The resource you requested was not found.');
      const body = method === 'POST' || method === 'PUT' ? await readBody(req) : undefined;
      const route = matchRoute(state, {
        method,
        segments: parts.slice(1),
        query: url.searchParams,
        body,
        base,
        maxTake: settings.maxTake,
      });
      if (!route) throw new OctopusHttpError(404, 'The resource you requested was not found.');
      operation = route.name;
      region = route.spaceId ?? '-';
      const fault = faults.decide(route.name);
      if (fault.latencyMs) await sleep(fault.latencyMs);
      if (fault.drop) {
        logs.call({
          ts: Date.now(),
          service: 'octopus',
          region,
          operation,
          params,
          status: 0,
          errorCode: 'ConnectionDropped',
        });
        req.socket.destroy();
        return;
      }
      if (fault.status)
        throw new OctopusHttpError(
          fault.status,
          fault.status === 503
            ? 'The service is unavailable.'
            : 'An unexpected error occurred in Octopus (localcloud fault).',
        );
      authenticate(req.headers, creds, route.name === 'root');
      response = route.run();
    } catch (err) {
      // Anything unexpected is a simulator bug: answer as Octopus does with a 500, and say what.
      const e =
        err instanceof OctopusHttpError
          ? err
          : new OctopusHttpError(500, `localcloud octopus: ${String(err)}`);
      response = { status: e.status, body: { ErrorMessage: e.message, Errors: e.errors } };
    }
    const ts = Date.now();
    const errorCode = errorCodeFor(response.status);
    logs.call({
      ts,
      service: 'octopus',
      region,
      operation,
      params,
      status: response.status,
      ...(errorCode ? { errorCode } : {}),
    });
    if (response.mutation)
      logs.mutation({ ts, service: 'octopus', region, operation, params: response.mutation });
    send(res, response);
  }

  return {
    handle,
    get state(): OctopusState {
      return state;
    },
    faults,
    logs,
    settings,
    /** Back to a fresh world (Default space only), no faults, default settings, empty logs; re-applies the startup seed. */
    reset(): void {
      state = new OctopusState();
      delete settings.maxTake;
      faults.clear();
      logs.clear();
      if (opts.seed) applySeed(state, opts.seed);
    },
    seed: (seed: OctopusSeed) => applySeed(state, seed),
    ensureEnvironment: (name: string, space?: string) => ensureEnvironment(state, name, space),
    addMachines: (seeds: Parameters<typeof addMachines>[1], space?: string) =>
      addMachines(state, seeds, space),
    bulkMachines: (o: Parameters<typeof bulkMachines>[1]) => bulkMachines(state, o),
    credentials: creds,
  };
}
