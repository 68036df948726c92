import { createServer, type Server } from 'node:http';
import type { Instance, World } from './state.js';

/**
 * Optional per-instance HTTP endpoint on the instance's own loopback address (127.10.x.y), so
 * HTTP health checks are testable: `GET /version` answers the version baked into its image
 * (image tag `localcloud:version` or `Version`), `GET /health` 200 or 503 (image tag
 * `localcloud:health=unhealthy`). Served while the instance is running. Off unless a port is
 * given, because parallel localclouds hand out the same addresses.
 */
export class InstanceHttp {
  private readonly servers = new Map<string, Server>();
  /** Addresses that could not be bound; not retried every tick. */
  private readonly failed = new Set<string>();

  constructor(
    private readonly world: World,
    readonly port: number,
  ) {}

  /** Ticker handler: start serving instances that run, stop those that no longer do. */
  sync(): void {
    const running = new Map<string, Instance>();
    for (const region of this.world.regions()) {
      for (const instance of region.ec2.instances.values()) {
        if (instance.state === 'running') running.set(instance.instanceId, instance);
      }
    }
    for (const [id, server] of this.servers) {
      if (!running.has(id)) {
        server.close();
        server.closeAllConnections();
        this.servers.delete(id);
      }
    }
    for (const [id, instance] of running) {
      if (this.servers.has(id) || this.failed.has(id)) continue;
      this.servers.set(id, this.serve(instance));
    }
  }

  private serve(instance: Instance): Server {
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://instance').pathname;
      const reply = (status: number, text: string) => {
        res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      if (path === '/version') return reply(200, instance.version ?? 'unknown');
      if (path === '/health') return instance.healthy ? reply(200, 'ok') : reply(503, 'unhealthy');
      return reply(404, 'not found');
    });
    server.on('error', (err) => {
      console.error(
        `localcloud: ${instance.instanceId} cannot serve on ${instance.privateIp}:${this.port}: ${err.message}`,
      );
      this.failed.add(instance.instanceId);
      this.servers.delete(instance.instanceId);
    });
    server.listen(this.port, instance.privateIp);
    return server;
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.servers.values()].map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
    this.servers.clear();
  }
}
