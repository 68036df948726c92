import type { PlatformInstance } from './autoscaling-types.js';

/** What a health check (EC2 status check or ELB target check) says about an instance right now. */
export type HealthVerdict = 'initial' | 'healthy' | 'unhealthy';

/**
 * Health checks need `delayMs` of running time before they pass; an instance launched from an image
 * tagged `localcloud:health=unhealthy` fails them instead, and one that is not running fails at once.
 * `since` lets ELB count from registration when that came after the instance started running.
 */
export function healthVerdict(
  status: PlatformInstance | undefined,
  now: number,
  delayMs: number,
  since?: number,
): HealthVerdict {
  if (!status) return 'unhealthy';
  if (status.state === 'pending') return 'initial';
  if (status.state !== 'running' || status.runningSince === undefined) return 'unhealthy';
  const start = Math.max(status.runningSince, since ?? 0);
  if (now - start < delayMs) return 'initial';
  return status.imageUnhealthy ? 'unhealthy' : 'healthy';
}
