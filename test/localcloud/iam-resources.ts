/**
 * What AWS authorizes for one API request: the IAM action on each resource ARN it touches, with the
 * condition keys of that resource (its tags, the tags requested, the service a role is passed to).
 * Follows the Service Authorization Reference for the operations localcloud serves. Each handler
 * module declares its operations' mappings next to their handlers (the service's `iam`); an
 * operation without one is an error here, never a silent `*`.
 */
import { SERVICES } from './aws/services.js';
import type { AuthRequest, RequestContext } from './iam.js';
import { Arns, type Params } from './iam-context.js';
import type { RegionState } from './state.js';

export function authorizationsFor(
  service: string,
  operation: string,
  params: Params,
  region: RegionState,
): AuthRequest[] {
  const mapping = SERVICES.find((s) => s.signingName === service)?.iam[operation];
  if (!mapping)
    throw new Error(
      `localcloud: no IAM resource mapping for ${service}:${operation}; declare one next to its handler (test/localcloud/CONTRIBUTING.md)`,
    );
  const global: RequestContext = { 'aws:RequestedRegion': region.name };
  const checks = mapping({
    operation,
    action: `${service}:${operation}`,
    params,
    region,
    arns: new Arns(region),
  });
  return checks.map((c) => ({ ...c, context: { ...global, ...c.context } }));
}
