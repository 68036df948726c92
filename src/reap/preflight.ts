// A read-only check that a reap could run, for a plan made before anything changes (deploy-ami's):
// the Octopus URL answers as Octopus, the key or token is accepted, the space and every
// environment exist, and the targets in them can be listed. It deletes nothing and asks EC2 nothing.
import type { ActionContext } from '../core/context.js';
import { AbortedError, ActionFailure, ConfigurationError, describeError } from '../core/errors.js';
import { createOctopusClient, octopusBaseUrl, OctopusApiError, type OctopusApi } from '../octopus/client.js';
import { resolveEnvironments, resolveSpace } from '../octopus/machines.js';
import type { OctopusCollection, OctopusMachine } from '../octopus/resources.js';
import type { ReapRunOptions } from './reap.js';

export interface OctopusAccess {
  /** The server's origin, as the key is sent to it. */
  server: string;
  /** Octopus's version, as its root document says. */
  version: string;
  space: { id: string; name: string };
  environments: string[];
  /** Targets in those environments (and roles) now: what a reap would read. */
  targets: number;
}

export type OctopusAccessOptions = Pick<ReapRunOptions, 'octopus' | 'space' | 'environments' | 'roles'>;

/** The root document every Octopus server serves anonymously at /api. */
interface OctopusRoot {
  Application?: unknown;
  Version?: unknown;
  ApiVersion?: unknown;
}

/** `GET /api`: the URL answers, and as Octopus (not a proxy's page, not another server). */
async function serverVersion(
  api: OctopusApi,
  o: OctopusAccessOptions,
  origin: string,
  signal: AbortSignal,
): Promise<string> {
  let root: OctopusRoot;
  try {
    root = await api.get<OctopusRoot>('/api', {}, signal);
  } catch (err) {
    if (err instanceof AbortedError) throw err;
    // Octopus answers a wrong credential with 401 even on its anonymous root; a 403 there is
    // something else (a proxy, another server), as Octopus never forbids its root document.
    if (err instanceof OctopusApiError && err.status === 401) throw credentialProblem(err, o, origin);
    const what = err instanceof SyntaxError ? 'answered, but not with JSON' : describeError(err);
    throw new ActionFailure(`octopus-url: ${origin} is not an Octopus server that answers: ${what}`, {
      cause: err,
    });
  }
  if (!root || typeof root !== 'object' || (root.ApiVersion === undefined && root.Application === undefined))
    throw new ActionFailure(
      `octopus-url: ${origin}/api answered JSON that is not Octopus's root document (no Application or ApiVersion); is the URL the Octopus server's?`,
    );
  return typeof root.Version === 'string' ? root.Version : 'unknown';
}

/** Says which credential a 401 or 403 is about; anything else passes through. */
function credentialProblem(err: unknown, o: OctopusAccessOptions, origin: string): unknown {
  if (!(err instanceof OctopusApiError) || (err.status !== 401 && err.status !== 403)) return err;
  const input = o.octopus.apiKey ? 'octopus-api-key' : 'octopus-access-token';
  const why =
    err.status === 401
      ? `${origin} refused it (401)`
      : `${origin} accepted it but denies this (403): it needs EnvironmentView, MachineView and MachineDelete in the space`;
  return new ActionFailure(`${input}: ${why}. ${err.message}`, { cause: err });
}

/**
 * Checks, reading only, that a reap with these options could run now. Throws a failure naming the
 * input to fix; returns what it found.
 */
export async function checkOctopusAccess(
  ctx: Pick<ActionContext, 'clock' | 'log' | 'signal'>,
  o: OctopusAccessOptions,
): Promise<OctopusAccess> {
  if (!o.octopus.apiKey && !o.octopus.accessToken)
    throw new ConfigurationError([
      'octopus-api-key: one of octopus-api-key, octopus-access-token is required',
    ]);
  const api = createOctopusClient(o.octopus, ctx.clock);
  const origin = new URL(octopusBaseUrl(o.octopus.url)).origin;
  const version = await serverVersion(api, o, origin, ctx.signal);
  try {
    const space = await resolveSpace(api, o.space, ctx.signal);
    const environments = await resolveEnvironments(api, space.Id, o.environments, ctx.signal);
    // One target is enough to prove the listing reap starts with is allowed; TotalResults counts all.
    const page = await api.get<OctopusCollection<OctopusMachine>>(
      `/api/${space.Id}/machines`,
      {
        environmentIds: environments.map((e) => e.Id).join(','),
        roles: o.roles.length ? o.roles.join(',') : undefined,
        take: 1,
      },
      ctx.signal,
    );
    const access: OctopusAccess = {
      server: origin,
      version,
      space: { id: space.Id, name: space.Name },
      environments: environments.map((e) => e.Name),
      targets: page.TotalResults,
    };
    ctx.log.info(
      `Octopus ${version} at ${origin}: ${access.space.name} / ${access.environments.join(', ')}, ${access.targets} target(s)`,
    );
    return access;
  } catch (err) {
    throw credentialProblem(err, o, origin);
  }
}
