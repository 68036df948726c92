// The version-endpoint check: each InService instance must answer the health-url as expected.
// 2xx, with expected-version in its body when given. The URL's host is always the instance's own
// address (the input pattern enforces a placeholder host), so this never reaches anything else.

export interface HttpTarget {
  instanceId: string;
  privateIp?: string;
  privateDns?: string;
}

export interface HttpCheck {
  ok: boolean;
  /** "200", "503", "body lacks 1.4.2", "timeout", "connection refused"… */
  detail: string;
}

export interface HttpCheckOptions {
  template: string;
  expectedVersion?: string;
  timeoutMs: number;
  fetch: typeof fetch;
  signal: AbortSignal;
}

export function expandUrl(template: string, t: HttpTarget): string | undefined {
  if (template.includes('{private-ip}') && !t.privateIp) return undefined;
  if (template.includes('{private-dns}') && !t.privateDns) return undefined;
  return template
    .replaceAll('{private-ip}', t.privateIp ?? '')
    .replaceAll('{private-dns}', t.privateDns ?? '')
    .replaceAll('{instance-id}', encodeURIComponent(t.instanceId));
}

/** Bodies are read up to this size: a version endpoint is short, a misconfigured one may not be. */
const MAX_BODY = 64 * 1024;

export async function checkInstance(t: HttpTarget, o: HttpCheckOptions): Promise<HttpCheck> {
  const url = expandUrl(o.template, t);
  if (!url) return { ok: false, detail: 'instance has no private address yet' };
  const signal = AbortSignal.any([o.signal, AbortSignal.timeout(o.timeoutMs)]);
  try {
    const res = await o.fetch(url, {
      signal,
      redirect: 'manual',
      headers: { accept: 'text/plain, application/json' },
    });
    const body = (await res.text()).slice(0, MAX_BODY);
    if (res.status < 200 || res.status > 299) return { ok: false, detail: `HTTP ${res.status}` };
    if (o.expectedVersion !== undefined && !body.includes(o.expectedVersion)) {
      const seen = body.trim().slice(0, 60);
      return { ok: false, detail: `serves ${JSON.stringify(seen)}, not ${o.expectedVersion}` };
    }
    return { ok: true, detail: `HTTP ${res.status}` };
  } catch (err) {
    if (o.signal.aborted) throw err;
    return { ok: false, detail: describeFetchError(err) };
  }
}

function describeFetchError(err: unknown): string {
  // Duck-typed: fetch's DOMExceptions and undici's errors need not share our realm's Error.
  const e = (err ?? {}) as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timed out';
  if (e.cause?.code === 'ECONNREFUSED') return 'connection refused';
  if (e.cause?.code) return e.cause.code;
  if (e.cause?.message) return e.cause.message;
  return e.message ?? String(err);
}

/** Checks instances a few at a time so a large group does not open hundreds of sockets at once. */
export async function checkInstances(
  targets: readonly HttpTarget[],
  o: HttpCheckOptions,
  concurrency = 8,
): Promise<Map<string, HttpCheck>> {
  const out = new Map<string, HttpCheck>();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < targets.length; i = next++) {
      const t = targets[i]!;
      out.set(t.instanceId, await checkInstance(t, o));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
  return out;
}
