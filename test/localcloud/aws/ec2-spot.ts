// Spot through RunInstances' InstanceMarketOptions: the request each Spot instance belongs to, the
// capacity switch that refuses it, stop and terminate as a request's type allows, and
// CancelSpotInstanceRequests.
import type { RunInstancesRequest } from '@aws-sdk/client-ec2';
import type { Instance, RegionState } from '../state.js';
import { AwsError, type AwsHandler } from './service.js';
import { onAnyResource, type IamMapping } from '../iam-context.js';

export interface SpotRequest {
  spotInstanceRequestId: string;
  type: 'one-time' | 'persistent';
  interruptionBehavior: 'terminate' | 'stop' | 'hibernate';
  /** active while its instance runs; open again when a persistent request's instance is terminated. */
  state: 'open' | 'active' | 'closed' | 'cancelled';
  instanceId?: string;
}

/** Per region: the requests, and whether Spot capacity is there (tests switch it off). */
export interface SpotState {
  requests: Map<string, SpotRequest>;
  capacity: 'available' | 'insufficient';
}

const spotStates = new WeakMap<RegionState, SpotState>();

export function spotOf(region: RegionState): SpotState {
  let s = spotStates.get(region);
  if (!s) {
    s = { requests: new Map(), capacity: 'available' };
    spotStates.set(region, s);
  }
  return s;
}

/**
 * Checks InstanceMarketOptions before anything launches; undefined for On-Demand. SpotMarketOptions
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SpotMarketOptions.html): "For
 * RunInstances, persistent Spot Instance requests are only supported when the instance interruption
 * behavior is either hibernate or stop." Without capacity: InsufficientInstanceCapacity.
 */
export function spotRequestSpec(
  region: RegionState,
  options: RunInstancesRequest['InstanceMarketOptions'],
): Pick<SpotRequest, 'type' | 'interruptionBehavior'> | undefined {
  if (!options?.MarketType) return undefined;
  if (options.MarketType !== 'spot')
    throw new AwsError('InvalidParameterValue', `Invalid value '${options.MarketType}' for MarketType.`);
  const type = options.SpotOptions?.SpotInstanceType ?? 'one-time';
  const interruptionBehavior = options.SpotOptions?.InstanceInterruptionBehavior ?? 'terminate';
  if (type === 'persistent' && interruptionBehavior === 'terminate')
    throw new AwsError(
      'InvalidParameterCombination',
      'Persistent Spot Instance requests are only supported with instance interruption behavior stop or hibernate.',
    );
  if (spotOf(region).capacity === 'insufficient')
    throw new AwsError(
      'InsufficientInstanceCapacity',
      'There is no Spot capacity available that matches your request.',
    );
  return { type, interruptionBehavior };
}

/** The launched instance joins a new request of that spec. */
export function attachSpotRequest(
  region: RegionState,
  instance: Instance,
  spec: Pick<SpotRequest, 'type' | 'interruptionBehavior'>,
): void {
  const id = region.world.newId('sir', 8);
  spotOf(region).requests.set(id, {
    spotInstanceRequestId: id,
    ...spec,
    state: 'active',
    instanceId: instance.instanceId,
  });
  instance.spotInstanceRequestId = id;
}

/**
 * A one-time Spot instance cannot be stopped. The API reference is silent; the answer is EC2's as
 * users report it (https://gitlab.com/gitlab-org/gitlab-runner/-/issues/28865): "UnsupportedOperation:
 * You can't stop the Spot Instance '…' because it is associated with a one-time Spot Instance request."
 */
export function checkSpotStop(region: RegionState, instance: Instance): void {
  const request = instance.spotInstanceRequestId
    ? spotOf(region).requests.get(instance.spotInstanceRequestId)
    : undefined;
  if (request?.type === 'one-time')
    throw new AwsError(
      'UnsupportedOperation',
      `You can't stop the Spot Instance '${instance.instanceId}' because it is associated with a one-time Spot Instance request.`,
    );
}

/**
 * A persistent request whose instance is terminated, and that is not cancelled, opens again: AWS
 * would launch a replacement (the relaunch itself is not modelled). A one-time request closes.
 */
export function onSpotTerminated(region: RegionState, instance: Instance): void {
  const request = instance.spotInstanceRequestId
    ? spotOf(region).requests.get(instance.spotInstanceRequestId)
    : undefined;
  if (!request || request.state === 'cancelled') return;
  request.state = request.type === 'persistent' ? 'open' : 'closed';
}

/** "Canceling a Spot Instance request does not terminate running Spot Instances." */
const cancelSpotInstanceRequests: AwsHandler = (req, { region }) => {
  const ids = (req.params.SpotInstanceRequestIds as string[] | undefined) ?? [];
  const spot = spotOf(region);
  return {
    CancelledSpotInstanceRequests: ids.map((id) => {
      const request = spot.requests.get(id);
      if (!request)
        throw new AwsError(
          'InvalidSpotInstanceRequestID.NotFound',
          `The spot instance request ID '${id}' does not exist`,
        );
      request.state = 'cancelled';
      return { SpotInstanceRequestId: id, State: 'cancelled' };
    }),
  };
};

export const spotHandlers: Record<string, AwsHandler> = {
  CancelSpotInstanceRequests: cancelSpotInstanceRequests,
};

// No resource-level permissions are modelled for spot requests.
export const spotIam: Record<string, IamMapping> = { CancelSpotInstanceRequests: onAnyResource };
