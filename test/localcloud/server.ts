import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createAwsDispatcher, type AwsDispatchEnv } from './aws/dispatch.js';
import { controlErrorStatus, type ControlRoutes } from './control.js';

/**
 * One loopback HTTP server: `/_localcloud/*` is the control API, `/octopus/*` the Octopus
 * simulator, everything else an AWS API call routed by its SigV4 scope.
 */
export type ServerEnv = AwsDispatchEnv & { octopus: { handle: OctopusHandle }; control: ControlRoutes };

type OctopusHandle = (req: IncomingMessage, res: ServerResponse, subpath: string) => Promise<void>;

const MAX_BODY = 10 * 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v: unknown) => (v instanceof Set ? [...v] : v), 2);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function createLocalcloudServer(env: ServerEnv): Server {
  const dispatch = createAwsDispatcher(env);
  const control = env.control;

  async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname.slice('/_localcloud'.length).replace(/\/$/, '') || '/';
    const route = control[`${req.method ?? 'GET'} ${path}`];
    if (!route) return sendJson(res, 404, { error: `no control route ${req.method} ${path}` });
    const raw = (await readBody(req)).toString('utf8').trim();
    let body: Record<string, unknown> = {};
    if (raw) {
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return sendJson(res, 400, { error: 'the body must be JSON' });
      }
    }
    try {
      sendJson(res, 200, route(body, url.searchParams));
    } catch (err) {
      sendJson(res, controlErrorStatus(err), { error: (err as Error).message });
    }
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localcloud');
    const work = async () => {
      if (url.pathname === '/_localcloud' || url.pathname.startsWith('/_localcloud/')) {
        return handleControl(req, res, url);
      }
      if (url.pathname === '/octopus' || url.pathname.startsWith('/octopus/')) {
        return env.octopus.handle(req, res, url.pathname.slice('/octopus'.length) || '/');
      }
      return dispatch(req, res, await readBody(req));
    };
    work().catch((err: unknown) => {
      console.error('localcloud: request failed:', err);
      if (!res.headersSent) sendJson(res, 500, { error: String(err) });
      else res.destroy();
    });
  });
  // SDK clients keep connections alive between polls; keep ours open longer than their idle timeout.
  server.keepAliveTimeout = 65_000;
  return server;
}
