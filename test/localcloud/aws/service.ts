import type { IamMapping } from '../iam-context.js';
import type { RegionState, World } from '../state.js';

/**
 * The contract between localcloud's dispatcher and each AWS service implementation. The
 * dispatcher parses the wire request against the service model into `params` (SDK member
 * names, numbers/booleans/Dates already typed) and serializes what a handler returns against the
 * operation's output shape, so handlers deal in the same objects the SDK v3 shows its callers.
 */
export type AwsProtocol = 'ec2' | 'query' | 'json';

export interface AwsRequest {
  /** Operation name as in the model, e.g. `DescribeInstances`. */
  operation: string;
  params: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

export interface HandlerContext {
  world: World;
  /** State of the region named by the request's SigV4 credential scope. */
  region: RegionState;
  requestId: string;
  now: number;
  /** Aborted when the client closes the connection (an SQS long poll stops waiting). */
  signal?: AbortSignal;
}

export type AwsHandler = (req: AwsRequest, ctx: HandlerContext) => object | Promise<object>;

export interface AwsService {
  /** SigV4 signing name from the credential scope: ec2, autoscaling, elasticloadbalancing, ssm, sts, sqs, events. */
  signingName: string;
  protocol: AwsProtocol;
  /** File under aws/models/ (without .json) holding the trimmed botocore model. */
  model: string;
  handlers: Record<string, AwsHandler>;
  /** Each served operation's IAM resource mapping (iam-resources.ts refuses an operation without one). */
  iam: Record<string, IamMapping>;
  /**
   * awsQueryCompatible JSON services (SQS): error code → the Query code sent in `x-amzn-query-error`
   * (`<code>;Sender`); codes not listed are sent as they are.
   */
  queryErrorCodes?: Record<string, string>;
  /** Advances this service's time-driven state; called by the world's ticker. */
  tick?: (world: World, now: number) => void;
}

/** An AWS error response: `code` is the model's/AWS's error code, e.g. `InvalidInstanceID.NotFound`. */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'AwsError';
  }
}

/** What a handler module serves: each operation's handler and, next to it, its IAM resource mapping. */
export interface Operations<H = AwsHandler> {
  handlers: Record<string, H>;
  iam: Record<string, IamMapping>;
}

/**
 * Merges handler modules into a service's operations. An operation with a handler and no IAM
 * mapping (or the other way round) stops localcloud from loading, naming the operation.
 */
export function operations<H>(...modules: Operations<H>[]): Operations<H> {
  const handlers = Object.assign({}, ...modules.map((m) => m.handlers)) as Record<string, H>;
  const iam = Object.assign({}, ...modules.map((m) => m.iam)) as Record<string, IamMapping>;
  const unmapped = Object.keys(handlers).filter((op) => !iam[op]);
  const unserved = Object.keys(iam).filter((op) => !handlers[op]);
  if (unmapped.length)
    throw new Error(`localcloud: no IAM resource mapping for ${unmapped.join(', ')} (see CONTRIBUTING.md)`);
  if (unserved.length)
    throw new Error(`localcloud: an IAM resource mapping for ${unserved.join(', ')}, which has no handler`);
  return { handlers, iam };
}
