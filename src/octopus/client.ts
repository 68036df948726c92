// A small Octopus REST client on fetch. The official @octopusdeploy/api-client would add about
// 630 KiB (axios, lodash, urijs…) to the bundle, keeps a module-level space cache, takes no
// AbortSignal and has no machine repository; the four calls we need are simpler done directly.
import type { Clock } from '../core/clock.js';
import { AbortedError, ConfigurationError } from '../core/errors.js';

export interface OctopusConnection {
  /** Server URL as OctopusDeploy/login exports it; a trailing `/` or `/api` is accepted. */
  url: string;
  apiKey?: string;
  /** An OIDC access token, sent as a bearer token when no API key is given. */
  accessToken?: string;
  userAgent?: string;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /** Attempts for 5xx, 429 and dropped connections (default 3). */
  maxAttempts?: number;
  fetch?: typeof fetch;
}

/** Octopus answered with an error status; `errors` is its `Errors` list. */
export class OctopusApiError extends Error {
  override readonly name = 'OctopusApiError';
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    serverMessage: string,
    readonly errors: string[] = [],
  ) {
    const detail = [serverMessage, ...errors].filter(Boolean).join(' ');
    super(`Octopus ${method} ${path} answered ${status}${detail ? `: ${detail}` : ''}`);
  }
}

export type Query = Record<string, string | number | undefined>;

export interface OctopusApi {
  /** Counts requests sent (including retries), for summaries and tests. */
  readonly requests: number;
  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T>;
  /** Deletes; a resource that is already gone (404) is reported, not thrown. */
  delete(path: string, signal?: AbortSignal): Promise<'deleted' | 'not-found'>;
}

export function octopusBaseUrl(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/api$/i, '');
}

/** Loopback hosts: plain http to them never leaves the machine. */
function isLoopback(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(h);
}

/**
 * Why a server URL may not carry the API key, or undefined when it may: https only, except to a
 * loopback address (127.0.0.0/8, ::1, localhost), so the key never crosses a network in clear text.
 */
export function octopusUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `${url} is not a URL; accepted: https://octopus.example.com`;
  }
  if (u.protocol === 'https:') return undefined;
  if (u.protocol === 'http:' && isLoopback(u.hostname)) return undefined;
  return `${u.protocol}//${u.host} would send the API key unencrypted; accepted: an https:// URL (http:// only to 127.0.0.0/8, ::1 or localhost)`;
}

const REDIRECT = new Set([301, 302, 303, 307, 308]);

/** A redirect is never followed: the key would go to wherever the Location points. */
async function redirectError(res: Response, method: string, path: string, base: string): Promise<Error> {
  await res.body?.cancel();
  const location = res.headers.get('location') ?? '';
  let target = 'no Location';
  try {
    target = location ? new URL(location, base).origin : target;
  } catch {
    target = 'an invalid Location';
  }
  return new OctopusApiError(
    res.status,
    method,
    path,
    `a redirect to ${target}, not followed (the API key is only sent to ${new URL(base).origin}); set octopus-url to the server's final address`,
  );
}

const retryable = (status: number) => status === 429 || status >= 500;

async function errorFrom(res: Response, method: string, path: string): Promise<OctopusApiError> {
  let message = res.statusText;
  let errors: string[] = [];
  try {
    const body = (await res.json()) as { ErrorMessage?: unknown; Errors?: unknown };
    if (typeof body.ErrorMessage === 'string') message = body.ErrorMessage;
    if (Array.isArray(body.Errors)) errors = body.Errors.filter((e): e is string => typeof e === 'string');
  } catch {
    // Not JSON (a proxy's error page): the status line says enough.
  }
  return new OctopusApiError(res.status, method, path, message, errors);
}

export function createOctopusClient(conn: OctopusConnection, clock: Clock): OctopusApi {
  const base = octopusBaseUrl(conn.url);
  const problem = octopusUrlProblem(base);
  if (problem) throw new ConfigurationError([`octopus-url: ${problem}`]);
  const doFetch = conn.fetch ?? fetch;
  const maxAttempts = Math.max(1, conn.maxAttempts ?? 3);
  const timeoutMs = conn.timeoutMs ?? 30_000;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (conn.apiKey) headers['X-Octopus-ApiKey'] = conn.apiKey;
  else if (conn.accessToken) headers.authorization = `Bearer ${conn.accessToken}`;
  if (conn.userAgent) headers['user-agent'] = conn.userAgent;
  let requests = 0;

  async function send(method: string, path: string, signal: AbortSignal | undefined): Promise<Response> {
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw new AbortedError();
      const timeout = AbortSignal.timeout(timeoutMs);
      requests++;
      let res: Response;
      try {
        res = await doFetch(`${base}${path}`, {
          method,
          headers,
          redirect: 'manual',
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
      } catch (err) {
        if (signal?.aborted) throw new AbortedError();
        const reason =
          err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
        if (attempt >= maxAttempts)
          throw new Error(`Octopus ${method} ${path} failed after ${attempt} attempts: ${reason}`, {
            cause: err,
          });
        await clock.sleep(250 * 2 ** (attempt - 1), signal);
        continue;
      }
      if (REDIRECT.has(res.status)) throw await redirectError(res, method, path, base);
      if (retryable(res.status) && attempt < maxAttempts) {
        await res.body?.cancel();
        await clock.sleep(250 * 2 ** (attempt - 1), signal);
        continue;
      }
      return res;
    }
  }

  return {
    get requests() {
      return requests;
    },
    async get<T>(path: string, query: Query = {}, signal?: AbortSignal): Promise<T> {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
      const full = q.size ? `${path}?${q.toString()}` : path;
      const res = await send('GET', full, signal);
      if (!res.ok) throw await errorFrom(res, 'GET', full);
      return (await res.json()) as T;
    },
    async delete(path: string, signal?: AbortSignal) {
      const res = await send('DELETE', path, signal);
      if (res.status === 404) {
        await res.body?.cancel();
        return 'not-found';
      }
      if (!res.ok) throw await errorFrom(res, 'DELETE', path);
      await res.body?.cancel();
      return 'deleted';
    },
  };
}
