import type { AddressInfo } from 'node:net';
import { SERVICES } from './aws/services.js';
import type { DurationsInput } from './durations.js';
import { Faults } from './faults.js';
import { Logs } from './logs.js';
import { IamAuthorizer } from './iam-authorizer.js';
import { InstanceHttp } from './instance-http.js';
import { createOctopus, type Octopus, type OctopusOptions } from './octopus/index.js';
import { seedRegion } from './seed.js';
import { controlClient, createControlRoutes } from './control.js';
import { createLocalcloudServer } from './server.js';
import { World } from './state.js';

/**
 * Starts localcloud in-process: `const lc = await start({ port: 0 })`, then point clients at
 * `lc.url` (AWS_ENDPOINT_URL) and `${lc.url}/octopus` (OCTOPUS_URL); `await lc.stop()` at the end.
 */
export interface StartOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  durations?: DurationsInput;
  /** Seeds ids and fault decisions so runs repeat. */
  seed?: number;
  accountId?: string;
  tickMs?: number;
  octopus?: Omit<OctopusOptions, 'logSink'>;
  /** Serve `/version` and `/health` on each running instance's 127.10.x.y address at this port. */
  instanceHttpPort?: number;
  /** An IAM identity policy every AWS call is checked against (none: everything is allowed). */
  iamPolicy?: unknown;
}

export interface Localcloud {
  url: string;
  port: number;
  world: World;
  logs: Logs;
  faults: Faults;
  octopus: Octopus;
  iam: IamAuthorizer;
  /** The control API in-process (same routes as `/_localcloud/*` over HTTP). */
  control: ReturnType<typeof controlClient>;
  stop(): Promise<void>;
}

export { SERVICES };

export async function start(options: StartOptions = {}): Promise<Localcloud> {
  const world = new World({
    ...(options.accountId !== undefined ? { accountId: options.accountId } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.durations !== undefined ? { durations: options.durations } : {}),
    ...(options.tickMs !== undefined ? { tickMs: options.tickMs } : {}),
  });
  world.addSeeder(seedRegion);
  const logs = new Logs();
  const faults = new Faults(world.seed);
  const octopus = createOctopus({
    faultSeed: world.seed,
    ...options.octopus,
    logSink: {
      // Octopus says itself which calls mutated (route names are not Describe/Get/List-shaped).
      call: (entry) =>
        logs.recordCall(
          { ...entry, requestId: '', ...(entry.errorCode ? { errorCode: entry.errorCode } : {}) },
          false,
        ),
      mutation: (entry) => logs.recordMutation({ ...entry, requestId: '' }),
    },
  });
  for (const service of SERVICES) {
    const tick = service.tick;
    if (tick) world.ticker.add((now) => tick(world, now));
  }
  const instanceHttp = options.instanceHttpPort
    ? new InstanceHttp(world, options.instanceHttpPort)
    : undefined;
  if (instanceHttp) world.ticker.add(() => instanceHttp.sync());
  world.ticker.start();

  const iam = new IamAuthorizer(options.iamPolicy);
  const routes = createControlRoutes({ world, logs, faults, octopus, iam });
  const server = createLocalcloudServer({
    world,
    logs,
    faults,
    octopus,
    iam,
    services: SERVICES,
    control: routes,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    world,
    logs,
    faults,
    octopus,
    iam,
    control: controlClient(routes),
    stop: async () => {
      world.ticker.stop();
      await instanceHttp?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
