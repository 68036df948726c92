// localcloud's Octopus Deploy: `createOctopus()` returns a handler the localcloud server mounts
// at `/octopus`, plus the state, faults and logs tests drive it through. See README-octopus.md.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_ACCESS_TOKEN, DEFAULT_API_KEY, type Credentials } from './auth.js';
import { OctopusFaults } from './faults.js';
import { handleRequest, type OctopusServer } from './handle.js';
import { OctopusLogs, type OctopusLogSink } from './logs.js';
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
  const server: OctopusServer = {
    get state() {
      return state;
    },
    faults,
    logs,
    settings,
    creds,
  };
  const handle = (req: IncomingMessage, res: ServerResponse, subpath: string) =>
    handleRequest(server, req, res, subpath);

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
