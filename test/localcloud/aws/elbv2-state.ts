// ELBv2 target groups and their registered targets; target health is derived from the instance's
// state and the time since registration, never stored, so it cannot drift from EC2.
import { healthVerdict } from './autoscaling-health.js';
import type { AsgPlatform, AsgTimings } from './autoscaling-types.js';

export interface Target {
  id: string;
  port: number;
  registeredAt: number;
  /** While set, the target is `draining` until the deregistration delay passes. */
  deregisteredAt?: number;
}

export interface TargetGroup {
  arn: string;
  name: string;
  protocol: string;
  port: number;
  vpcId: string;
  targetType: 'instance';
  healthCheckPath: string;
  healthCheckPort: string;
  healthCheckProtocol: string;
  healthCheckIntervalSeconds: number;
  healthCheckTimeoutSeconds: number;
  healthyThresholdCount: number;
  unhealthyThresholdCount: number;
  loadBalancerArns: string[];
  targets: Map<string, Target>;
}

export interface TargetHealth {
  State: 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining';
  Reason?: string;
  Description?: string;
}

const key = (id: string, port: number): string => `${id}:${port}`;

export function registerTarget(tg: TargetGroup, id: string, now: number, port = tg.port): void {
  const existing = tg.targets.get(key(id, port));
  // Re-registering a draining target brings it back; a registered one keeps its clock.
  if (existing && existing.deregisteredAt === undefined) return;
  tg.targets.set(key(id, port), { id, port, registeredAt: now });
}

export function deregisterTarget(tg: TargetGroup, id: string, now: number, port?: number): void {
  for (const t of tg.targets.values()) {
    if (t.id === id && (port === undefined || t.port === port) && t.deregisteredAt === undefined) {
      t.deregisteredAt = now;
    }
  }
}

/** Drops targets whose draining has finished. */
export function purgeDrained(tg: TargetGroup, now: number, timings: AsgTimings): void {
  for (const [k, t] of tg.targets) {
    if (t.deregisteredAt !== undefined && now - t.deregisteredAt >= timings.deregistrationDelayMs) {
      tg.targets.delete(k);
    }
  }
}

export function targetHealth(
  target: Target,
  platform: AsgPlatform,
  timings: AsgTimings,
  now: number,
): TargetHealth {
  if (target.deregisteredAt !== undefined) {
    return {
      State: 'draining',
      Reason: 'Target.DeregistrationInProgress',
      Description: 'Target deregistration is in progress',
    };
  }
  const status = platform.instanceStatus(target.id);
  if (!status || status.state === 'stopped' || status.state === 'stopping' || status.state === 'terminated') {
    return { State: 'unused', Reason: 'Target.InvalidState', Description: 'Target is in the stopped state' };
  }
  switch (healthVerdict(status, now, timings.healthCheckDelayMs, target.registeredAt)) {
    case 'initial':
      return {
        State: 'initial',
        Reason: 'Elb.RegistrationInProgress',
        Description: 'Target registration is in progress',
      };
    case 'healthy':
      return { State: 'healthy' };
    case 'unhealthy':
      return {
        State: 'unhealthy',
        Reason: 'Target.FailedHealthChecks',
        Description: 'Health checks failed',
      };
  }
}
