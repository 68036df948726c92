// ELBv2 (Query protocol): target groups and target health. Auto Scaling registers its instances
// in its groups' target groups; targets turn healthy after the health-check delay.
import { randomBytes } from 'node:crypto';
import { asgRegionOf } from './autoscaling-platform.js';
import { paginate } from './autoscaling-paging.js';
import type { AsgRegion } from './autoscaling-state.js';
import { deregisterTarget, registerTarget, targetHealth, type TargetGroup } from './elbv2-state.js';
import { AwsError, type AwsHandler, type AwsService, type HandlerContext } from './service.js';
import { elbv2TargetGroups } from './autoscaling-traffic.js';
import { onAnyResource } from '../iam-context.js';

type Params = Record<string, unknown>;
type ElbHandler = (p: Params, region: AsgRegion, ctx: HandlerContext) => object;

interface TargetInput {
  Id?: string;
  Port?: number;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

const NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$/;

export interface TargetGroupInput {
  Name: string;
  Protocol?: string;
  Port?: number;
  VpcId?: string;
  HealthCheckPath?: string;
  HealthCheckPort?: string;
  HealthCheckProtocol?: string;
  HealthCheckIntervalSeconds?: number;
  HealthCheckTimeoutSeconds?: number;
  HealthyThresholdCount?: number;
  UnhealthyThresholdCount?: number;
}

export function createTargetGroup(region: AsgRegion, input: TargetGroupInput): TargetGroup {
  if (!NAME.test(input.Name) || input.Name.startsWith('internal-')) {
    throw new AwsError('ValidationError', `Target group name '${input.Name}' is not valid.`);
  }
  const existing = [...region.targetGroups.values()].find((t) => t.name === input.Name);
  if (existing) {
    // Same name and settings is idempotent in AWS; different settings are a duplicate.
    if (existing.port === (input.Port ?? 80) && existing.protocol === (input.Protocol ?? 'HTTP'))
      return existing;
    throw new AwsError(
      'DuplicateTargetGroupName',
      'A target group with the same name exists, but with different settings',
    );
  }
  const protocol = input.Protocol ?? 'HTTP';
  const tg: TargetGroup = {
    arn: `arn:aws:elasticloadbalancing:${region.region}:${region.accountId}:targetgroup/${input.Name}/${randomBytes(8).toString('hex')}`,
    name: input.Name,
    protocol,
    port: input.Port ?? 80,
    vpcId: input.VpcId ?? '',
    targetType: 'instance',
    healthCheckPath: input.HealthCheckPath ?? '/',
    healthCheckPort: input.HealthCheckPort ?? 'traffic-port',
    healthCheckProtocol: input.HealthCheckProtocol ?? protocol,
    healthCheckIntervalSeconds: input.HealthCheckIntervalSeconds ?? 30,
    healthCheckTimeoutSeconds: input.HealthCheckTimeoutSeconds ?? 5,
    healthyThresholdCount: input.HealthyThresholdCount ?? 5,
    unhealthyThresholdCount: input.UnhealthyThresholdCount ?? 2,
    loadBalancerArns: [],
    targets: new Map(),
  };
  region.targetGroups.set(tg.arn, tg);
  return tg;
}

function notFound(): AwsError {
  return new AwsError('TargetGroupNotFound', 'One or more target groups not found');
}

/** Any name or ARN that matches nothing fails the whole call, as in AWS. */
function existing(tg: TargetGroup | undefined): TargetGroup {
  if (!tg) throw notFound();
  return tg;
}

function requireTargetGroup(region: AsgRegion, arn: unknown): TargetGroup {
  const tg = typeof arn === 'string' ? region.targetGroups.get(arn) : undefined;
  if (!tg) throw notFound();
  return tg;
}

function targetGroupView(tg: TargetGroup): Record<string, unknown> {
  return {
    TargetGroupArn: tg.arn,
    TargetGroupName: tg.name,
    Protocol: tg.protocol,
    Port: tg.port,
    VpcId: tg.vpcId,
    HealthCheckProtocol: tg.healthCheckProtocol,
    HealthCheckPort: tg.healthCheckPort,
    HealthCheckEnabled: true,
    HealthCheckIntervalSeconds: tg.healthCheckIntervalSeconds,
    HealthCheckTimeoutSeconds: tg.healthCheckTimeoutSeconds,
    HealthyThresholdCount: tg.healthyThresholdCount,
    UnhealthyThresholdCount: tg.unhealthyThresholdCount,
    HealthCheckPath: tg.healthCheckPath,
    Matcher: { HttpCode: '200' },
    LoadBalancerArns: [...tg.loadBalancerArns],
    TargetType: tg.targetType,
    ProtocolVersion: 'HTTP1',
    IpAddressType: 'ipv4',
  };
}

function checkTargets(region: AsgRegion, targets: readonly TargetInput[]): void {
  for (const t of targets) {
    if (!t.Id || !region.platform.instanceStatus(t.Id)) {
      throw new AwsError('InvalidTarget', `The following targets are not valid: '${t.Id ?? ''}'`);
    }
  }
}

const handlers: Record<string, ElbHandler> = {
  CreateTargetGroup(p, region) {
    if (!str(p.Name)) throw new AwsError('ValidationError', 'Name is required.');
    return { TargetGroups: [targetGroupView(createTargetGroup(region, p as unknown as TargetGroupInput))] };
  },

  DescribeTargetGroups(p, region) {
    const arns = list<string>(p.TargetGroupArns);
    const names = list<string>(p.Names);
    if (arns.length > 0 && names.length > 0) {
      throw new AwsError('ValidationError', 'TargetGroupArns and Names cannot be specified together.');
    }
    const all = [...region.targetGroups.values()].sort((a, b) => a.name.localeCompare(b.name));
    let chosen = all;
    if (arns.length > 0) chosen = arns.map((a) => existing(all.find((t) => t.arn === a)));
    if (names.length > 0) chosen = names.map((n) => existing(all.find((t) => t.name === n)));
    const lb = str(p.LoadBalancerArn);
    if (lb) chosen = chosen.filter((t) => t.loadBalancerArns.includes(lb));
    const page = paginate(
      chosen,
      'tg',
      num(p.PageSize),
      str(p.Marker),
      { default: 400, max: 400 },
      'ValidationError',
    );
    return {
      TargetGroups: page.items.map(targetGroupView),
      ...(page.nextToken ? { NextMarker: page.nextToken } : {}),
    };
  },

  DeleteTargetGroup(p, region) {
    const arn = str(p.TargetGroupArn) ?? '';
    for (const g of region.groups.values()) {
      if (elbv2TargetGroups(g).includes(arn)) {
        throw new AwsError(
          'ResourceInUse',
          `Target group '${arn}' is currently in use by Auto Scaling group '${g.name}'`,
        );
      }
    }
    region.targetGroups.delete(arn);
    return {};
  },

  RegisterTargets(p, region, ctx) {
    const tg = requireTargetGroup(region, p.TargetGroupArn);
    const targets = list<TargetInput>(p.Targets);
    checkTargets(region, targets);
    for (const t of targets) registerTarget(tg, t.Id!, ctx.now, t.Port ?? tg.port);
    return {};
  },

  DeregisterTargets(p, region, ctx) {
    const tg = requireTargetGroup(region, p.TargetGroupArn);
    const targets = list<TargetInput>(p.Targets);
    for (const t of targets) {
      if (![...tg.targets.values()].some((x) => x.id === t.Id)) {
        throw new AwsError('InvalidTarget', `The following targets are not registered: '${t.Id ?? ''}'`);
      }
    }
    for (const t of targets) deregisterTarget(tg, t.Id!, ctx.now, t.Port);
    return {};
  },

  DescribeTargetHealth(p, region, ctx) {
    const tg = requireTargetGroup(region, p.TargetGroupArn);
    const asked = list<TargetInput>(p.Targets);
    if (asked.length > 0) checkTargets(region, asked);
    const registered = [...tg.targets.values()];
    const descriptions = (asked.length > 0 ? asked : registered.map((t) => ({ Id: t.id, Port: t.port }))).map(
      (a) => {
        const target = registered.find((t) => t.id === a.Id && (a.Port === undefined || t.port === a.Port));
        const port = a.Port ?? target?.port ?? tg.port;
        const health = target
          ? targetHealth(target, region.platform, region.timings, ctx.now)
          : {
              State: 'unused',
              Reason: 'Target.NotRegistered',
              Description: 'Target is not registered to the target group',
            };
        return {
          Target: { Id: a.Id, Port: port },
          HealthCheckPort: tg.healthCheckPort === 'traffic-port' ? String(port) : tg.healthCheckPort,
          TargetHealth: health,
        };
      },
    );
    return { TargetHealthDescriptions: descriptions };
  },
};

function wrap(handler: ElbHandler): AwsHandler {
  return (req, ctx) => handler(req.params, asgRegionOf(ctx.region), ctx);
}

export const elbv2Service: AwsService = {
  signingName: 'elasticloadbalancing',
  protocol: 'query',
  model: 'elbv2',
  handlers: Object.fromEntries(Object.entries(handlers).map(([op, h]) => [op, wrap(h)])),
  // Target groups and load balancers are not modelled as IAM resources: every operation on `*`.
  iam: Object.fromEntries(Object.keys(handlers).map((op) => [op, onAnyResource])),
};
