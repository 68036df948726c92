// spot: true — the native engine's builder on Spot, falling back to On-Demand when there is no
// Spot capacity; and the Spot request a builder carries, cancelled before the builder is terminated.
import {
  CancelSpotInstanceRequestsCommand,
  type EC2Client,
  type InstanceMarketOptionsRequest,
} from '@aws-sdk/client-ec2';
import { hasCode } from '../../aws/errors.js';

/**
 * The builder must stop to be imaged, and EC2 answers a stop of a one-time Spot instance with
 * "UnsupportedOperation: … You can only stop Spot Instances associated with persistent Spot
 * Instance requests."; SpotMarketOptions: "For RunInstances, persistent Spot Instance requests are
 * only supported when the instance interruption behavior is either hibernate or stop."
 */
export const SPOT_MARKET: InstanceMarketOptionsRequest = {
  MarketType: 'spot',
  SpotOptions: { SpotInstanceType: 'persistent', InstanceInterruptionBehavior: 'stop' },
};

/** Answers that mean "no Spot now" rather than a bad request (EC2 API error codes). */
const NO_SPOT = [
  'InsufficientInstanceCapacity',
  'InsufficientCapacity',
  'SpotMaxPriceTooLow',
  'MaxSpotInstanceCountExceeded',
  'InsufficientHostCapacity',
];

export const isNoSpotCapacity = (err: unknown): boolean => NO_SPOT.some((code) => hasCode(err, code));

/**
 * A persistent request whose instance is terminated launches another, so the builders' requests
 * are cancelled first ("Canceling a Spot Instance request does not terminate running Spot Instances").
 */
export async function cancelSpotRequests(ec2: EC2Client, requestIds: string[]): Promise<void> {
  if (!requestIds.length) return;
  await ec2.send(new CancelSpotInstanceRequestsCommand({ SpotInstanceRequestIds: requestIds }));
}
