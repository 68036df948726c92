// A standalone loopback server for the Octopus simulator alone, mounted at /octopus as the
// localcloud server mounts it: for Octopus-only tests that need no AWS side.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOctopus, type Octopus, type OctopusOptions } from './index.js';

export interface OctopusServer {
  /** The value for OCTOPUS_URL. */
  url: string;
  octopus: Octopus;
  stop(): Promise<void>;
}

export async function serveOctopus(opts: OctopusOptions = {}): Promise<OctopusServer> {
  const octopus = createOctopus(opts);
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localcloud').pathname;
    if (!path.startsWith('/octopus/') && path !== '/octopus') {
      res.writeHead(404).end();
      return;
    }
    octopus.handle(req, res, path.slice('/octopus'.length) || '/').catch((err: unknown) => {
      res.writeHead(500).end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/octopus`,
    octopus,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
