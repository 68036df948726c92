// Control-API routes for Auto Scaling and ELBv2, mounted by the server under `/_localcloud`.
// Keys are `METHOD /path`; the server passes the parsed JSON body (or {}) and the query string.
import type { AlarmState, AsgReadings } from './autoscaling-state.js';
import type { World } from '../state.js';
import { asgRegionOf } from './autoscaling-platform.js';
import {
  seedGroup,
  seedTemplateVersion,
  setAlarm,
  setAutoScalingThrottle,
  type SeedGroupOptions,
} from './autoscaling-seed.js';
import { groupView, refreshView } from './autoscaling-views.js';
import { AwsError } from './service.js';

function parseReadings(body: Record<string, unknown>): AsgReadings {
  const { refreshOrder, impossibleAutoRollback, trafficSourcesInTargetGroupArns } = body;
  if (refreshOrder !== 'newest-first' && refreshOrder !== 'oldest-first')
    throw new AwsError('ValidationError', 'refreshOrder must be newest-first or oldest-first');
  if (impossibleAutoRollback !== 'refuse-at-start' && impossibleAutoRollback !== 'fail-later')
    throw new AwsError('ValidationError', 'impossibleAutoRollback must be refuse-at-start or fail-later');
  if (typeof trafficSourcesInTargetGroupArns !== 'boolean')
    throw new AwsError('ValidationError', 'trafficSourcesInTargetGroupArns must be a boolean');
  return { refreshOrder, impossibleAutoRollback, trafficSourcesInTargetGroupArns };
}

export type ControlRoute = (world: World, body: Record<string, unknown>, query: URLSearchParams) => unknown;

function regionOf(body: Record<string, unknown>, query?: URLSearchParams): string {
  const r = body.region ?? query?.get('region') ?? 'us-east-1';
  if (typeof r !== 'string') throw new AwsError('ValidationError', 'region must be a string');
  return r;
}

function text(body: Record<string, unknown>, key: string): string {
  const v = body[key];
  if (typeof v !== 'string' || v === '') throw new AwsError('ValidationError', `${key} is required`);
  return v;
}

export const autoscalingControlRoutes: Record<string, ControlRoute> = {
  /** Body: { region?, ...SeedGroupOptions } → SeededGroup. */
  'POST /autoscaling/groups': (world, body) =>
    seedGroup(world, regionOf(body), body as unknown as SeedGroupOptions),

  /** Body: { region?, launchTemplateId, imageId? | imageParameter?, instanceType? } → { version }. */
  'POST /autoscaling/template-versions': (world, body) => ({
    version: seedTemplateVersion(world, regionOf(body), text(body, 'launchTemplateId'), {
      ...(typeof body.imageId === 'string' ? { imageId: body.imageId } : {}),
      ...(typeof body.imageParameter === 'string' ? { imageParameter: body.imageParameter } : {}),
      ...(typeof body.instanceType === 'string' ? { instanceType: body.instanceType } : {}),
    }),
  }),

  /** Body: { region?, name, state: OK | ALARM | INSUFFICIENT_DATA }. */
  'POST /autoscaling/alarms': (world, body) => {
    setAlarm(world, regionOf(body), text(body, 'name'), text(body, 'state') as AlarmState);
    return {};
  },

  /** Body: { region?, capacity, refillPerSecond } to turn the shared bucket on, { region?, off: true } to turn it off. */
  'POST /autoscaling/throttle': (world, body) => {
    const region = regionOf(body);
    if (body.off === true) setAutoScalingThrottle(world, region, null);
    else
      setAutoScalingThrottle(world, region, {
        capacity: Number(body.capacity),
        refillPerSecond: Number(body.refillPerSecond),
      });
    return {};
  },

  /**
   * Body: { region?, refreshOrder?, impossibleAutoRollback?, trafficSourcesInTargetGroupArns? } → the
   * readings now in force: how localcloud behaves where the AWS documentation is silent.
   */
  'POST /autoscaling/readings': (world, body) => {
    const asg = asgRegionOf(world.region(regionOf(body)));
    asg.readings = parseReadings({ ...asg.readings, ...body });
    return asg.readings;
  },

  /** Query: region → every group as DescribeAutoScalingGroups shows it, with its refreshes. */
  'GET /autoscaling/state': (world, _body, query) => {
    const asg = asgRegionOf(world.region(regionOf({}, query)));
    return {
      groups: [...asg.groups.values()].map((g) => ({
        ...groupView(asg, g),
        InstanceRefreshes: [...asg.refreshesOf(g.name)].reverse().map(refreshView),
      })),
      alarms: Object.fromEntries(asg.alarms),
      readings: asg.readings,
      throttle: asg.throttle?.config ?? null,
    };
  },
};
