import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkInstances, expandUrl } from '../../../src/health/http-check.js';

describe('health-url checks', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/version') return void res.end('{"version":"1.4.2"}');
      if (req.url === '/old') return void res.end('1.4.1');
      if (req.url === '/slow') return void setTimeout(() => res.end('late'), 2_000);
      if (req.url === '/moved') {
        res.writeHead(302, { location: 'http://example.com/' });
        return void res.end();
      }
      res.writeHead(503);
      res.end('down');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });

  it('fills the template from the instance and only ever targets its address', () => {
    const t = {
      instanceId: 'i-0abc',
      privateIp: '127.10.0.7',
      privateDns: 'ip-127-10-0-7.eu-west-1.compute.internal',
    };
    expect(expandUrl('http://{private-ip}:8080/version?id={instance-id}', t)).toBe(
      'http://127.10.0.7:8080/version?id=i-0abc',
    );
    expect(expandUrl('https://{private-dns}/health', t)).toBe(
      'https://ip-127-10-0-7.eu-west-1.compute.internal/health',
    );
    expect(expandUrl('http://{private-ip}/version', { instanceId: 'i-0abc' })).toBeUndefined();
  });

  it('passes 2xx with the expected version and fails stale versions, errors, redirects, timeouts and refusals', async () => {
    const at = (path: string, id: string) => ({ template: `http://{private-ip}:${port}${path}`, id });
    const cases = [
      at('/version', 'ok'),
      at('/old', 'stale'),
      at('/down', 'down'),
      at('/moved', 'moved'),
      at('/slow', 'slow'),
    ];
    const results = new Map<string, string>();
    for (const c of cases) {
      const r = await checkInstances([{ instanceId: c.id, privateIp: '127.0.0.1' }], {
        template: c.template,
        expectedVersion: '1.4.2',
        timeoutMs: 300,
        fetch,
        signal: new AbortController().signal,
      });
      const check = r.get(c.id)!;
      results.set(c.id, `${check.ok} ${check.detail}`);
    }
    // A port that was just free: nothing listens there.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const refused = await checkInstances([{ instanceId: 'gone', privateIp: '127.0.0.1' }], {
      template: `http://{private-ip}:${closedPort}/version`,
      timeoutMs: 1000,
      fetch,
      signal: new AbortController().signal,
    });
    expect(Object.fromEntries(results)).toEqual({
      ok: 'true HTTP 200',
      stale: 'false serves "1.4.1", not 1.4.2',
      down: 'false HTTP 503',
      moved: 'false HTTP 302',
      slow: 'false timed out',
    });
    expect(refused.get('gone')).toEqual({ ok: false, detail: 'connection refused' });
  });
});
