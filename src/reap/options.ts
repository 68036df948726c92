// From parsed inputs to the capability's options and back out to the step's outputs.
import { USER_AGENT } from '../core/version.js';
import type { OctopusConnection } from '../octopus/client.js';
import { TAKE_ALL } from '../octopus/machines.js';
import type { InstanceState } from './instances.js';
import type { ReapInputs } from './inputs.js';
import { tokenPattern } from './mapping.js';
import type { ReapResult, ReapRunOptions } from './reap.js';

/** Octopus deletes in flight at once. */
export const DELETE_CONCURRENCY = 16;
/** As many targets per page as the server gives: one page for most estates. */
export const PAGE_SIZE = TAKE_ALL;

/** The capability's toOptions. */
export function reapOptions(i: ReapInputs): ReapRunOptions {
  return {
    octopus: octopusConnection(i),
    space: i.space,
    environments: i.environments,
    roles: i.roles,
    matchBy: i.matchBy,
    instanceIdPattern: tokenPattern(i.instanceIdPattern),
    regions: i.regions.length ? i.regions : [i.region],
    reapStates: i.reapStates as InstanceState[],
    maxReap: i.maxReap,
    maxReapPercent: i.maxReapPercent,
    dryRun: i.dryRun,
    concurrency: DELETE_CONCURRENCY,
    pageSize: PAGE_SIZE,
  };
}

/** The API key wins when both are given (OctopusDeploy/login exports only one). */
export function octopusConnection(
  i: Pick<ReapInputs, 'octopusUrl' | 'octopusApiKey' | 'octopusAccessToken'>,
): OctopusConnection {
  return {
    url: i.octopusUrl,
    ...(i.octopusApiKey
      ? { apiKey: i.octopusApiKey }
      : i.octopusAccessToken
        ? { accessToken: i.octopusAccessToken }
        : {}),
    userAgent: USER_AGENT,
  };
}

const entry = (t: ReapResult['reaped'][number]) => ({
  machineId: t.machineId,
  name: t.name,
  instanceId: t.instanceId,
  state: t.state,
});

export function reapOutputs(r: ReapResult) {
  return {
    reaped: r.reaped.map(entry),
    'reaped-count': r.reaped.length,
    'kept-count': r.scanned - r.reaped.length,
    orphans: r.orphans.map(entry),
  };
}
