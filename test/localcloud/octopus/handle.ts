// One Octopus request: routed, faulted, authenticated, answered and logged as Octopus would.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticate, type Credentials } from './auth.js';
import type { OctopusFaults } from './faults.js';
import { errorCodeFor, type OctopusLogs } from './logs.js';
import { OctopusHttpError, matchRoute, type OctopusResponse } from './routes.js';
import type { OctopusState } from './state.js';

/** What a request reaches: the current state and the server's faults, logs, settings and keys. */
export interface OctopusServer {
  readonly state: OctopusState;
  faults: OctopusFaults;
  logs: OctopusLogs;
  settings: { maxTake?: number };
  creds: Credentials;
}

/** What the call log records of a request; operation and space are known once it is routed. */
interface Call {
  region: string;
  operation: string;
  params: Record<string, unknown>;
}

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

/** The request's method, path segments below the mount point and the mount point links carry. */
function readRequest(req: IncomingMessage, subpath: string) {
  const url = new URL(req.url ?? '/', 'http://localcloud');
  const path = subpath.split('?')[0] ?? '';
  // Links carry the mount point, as Octopus's carry its virtual directory.
  const base = url.pathname.endsWith(path)
    ? url.pathname.slice(0, url.pathname.length - path.length).replace(/\/$/, '')
    : '';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const method = (req.method ?? 'GET').toUpperCase();
  return { url, path, base, parts, method };
}

/** Routes and runs the request; undefined when a fault dropped the connection. */
async function answer(
  server: OctopusServer,
  req: IncomingMessage,
  r: ReturnType<typeof readRequest>,
  call: Call,
): Promise<OctopusResponse | undefined> {
  if (r.parts[0]?.toLowerCase() !== 'api')
    throw new OctopusHttpError(404, 'The resource you requested was not found.');
  const body = r.method === 'POST' || r.method === 'PUT' ? await readBody(req) : undefined;
  const route = matchRoute(server.state, {
    method: r.method,
    segments: r.parts.slice(1),
    query: r.url.searchParams,
    body,
    base: r.base,
    maxTake: server.settings.maxTake,
  });
  if (!route) throw new OctopusHttpError(404, 'The resource you requested was not found.');
  call.operation = route.name;
  call.region = route.spaceId ?? '-';
  const fault = server.faults.decide(route.name);
  if (fault.latencyMs) await sleep(fault.latencyMs);
  if (fault.drop) {
    server.logs.call({
      ts: Date.now(),
      service: 'octopus',
      ...call,
      status: 0,
      errorCode: 'ConnectionDropped',
    });
    req.socket.destroy();
    return undefined;
  }
  if (fault.status)
    throw new OctopusHttpError(
      fault.status,
      fault.status === 503
        ? 'The service is unavailable.'
        : 'An unexpected error occurred in Octopus (localcloud fault).',
    );
  authenticate(req.headers, server.creds, route.name === 'root');
  return route.run();
}

/** Serves one request whose path below the mount point is `subpath` (e.g. "/api/Spaces-1/machines"). */
export async function handleRequest(
  server: OctopusServer,
  req: IncomingMessage,
  res: ServerResponse,
  subpath: string,
): Promise<void> {
  const r = readRequest(req, subpath);
  const call: Call = {
    region: '-',
    operation: 'unknown',
    params: { method: r.method, path: r.path, ...Object.fromEntries(r.url.searchParams) },
  };
  let response: OctopusResponse | undefined;
  try {
    response = await answer(server, req, r, call);
    if (!response) return;
  } catch (err) {
    // Anything unexpected is a simulator bug: answer as Octopus does with a 500, and say what.
    const e =
      err instanceof OctopusHttpError ? err : new OctopusHttpError(500, `localcloud octopus: ${String(err)}`);
    response = { status: e.status, body: { ErrorMessage: e.message, Errors: e.errors } };
  }
  const ts = Date.now();
  const errorCode = errorCodeFor(response.status);
  server.logs.call({
    ts,
    service: 'octopus',
    ...call,
    status: response.status,
    ...(errorCode ? { errorCode } : {}),
  });
  if (response.mutation)
    server.logs.mutation({
      ts,
      service: 'octopus',
      region: call.region,
      operation: call.operation,
      params: response.mutation,
    });
  send(res, response);
}
