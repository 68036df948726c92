/**
 * localcloud's IAM enforcement: off until a policy is set (`start({ iamPolicy })`, or
 * `POST /_localcloud/iam` with `{ policy }` / `{ policy: null }`). With a policy, every AWS request
 * is authorized before its handler runs, each resource it touches separately (iam-resources.ts), and
 * refused as AWS refuses: EC2 `UnauthorizedOperation` (403), Auto Scaling/ELBv2/STS `AccessDenied`
 * (403), SSM `AccessDeniedException` (400). Every decision is recorded, so a test can tell which
 * statement allowed what.
 */
import { AwsError, type AwsProtocol } from './aws/service.js';
import { evaluate, statements, validatePolicy, type AuthRequest, type PolicyDocument } from './iam.js';
import { authorizationsFor } from './iam-resources.js';
import type { RegionState } from './state.js';

export interface AuthCheck extends AuthRequest {
  allowed: boolean;
  /** Index of the deciding statement (allow or explicit deny) in the policy's Statement list. */
  statement?: number;
}

export interface AuthRecord {
  seq: number;
  service: string;
  region: string;
  operation: string;
  allowed: boolean;
  checks: AuthCheck[];
}

const LIMIT = 50_000;

export class IamAuthorizer {
  private current: PolicyDocument | undefined;
  private seq = 0;
  readonly records: AuthRecord[] = [];

  constructor(policy?: unknown) {
    if (policy !== undefined && policy !== null) this.setPolicy(policy);
  }

  /** A policy document (validated), or null/undefined to stop enforcing. */
  setPolicy(policy: unknown): void {
    this.current = policy === undefined || policy === null ? undefined : validatePolicy(policy);
  }

  get policy(): PolicyDocument | undefined {
    return this.current;
  }

  clear(): void {
    this.records.length = 0;
  }

  /** Undefined when the request may proceed; otherwise the error AWS would answer with. */
  authorize(
    service: string,
    protocol: AwsProtocol,
    operation: string,
    params: Record<string, unknown>,
    region: RegionState,
  ): AwsError | undefined {
    const policy = this.current;
    if (!policy) return undefined;
    const checks: AuthCheck[] = authorizationsFor(service, operation, params, region).map((c) => {
      const d = evaluate(policy, c);
      return { ...c, allowed: d.allowed, ...(d.statement !== undefined ? { statement: d.statement } : {}) };
    });
    const denied = checks.find((c) => !c.allowed);
    this.records.push({ seq: ++this.seq, service, region: region.name, operation, allowed: !denied, checks });
    if (this.records.length > LIMIT) this.records.splice(0, this.records.length - LIMIT);
    if (!denied) return undefined;
    const who = `arn:aws:sts::${region.world.accountId}:assumed-role/localcloud/session`;
    const by =
      denied.statement !== undefined
        ? `with an explicit deny in an identity-based policy (${statements(policy)[denied.statement]?.Sid ?? `statement ${denied.statement}`})`
        : `because no identity-based policy allows the ${denied.action} action`;
    const message = `User: ${who} is not authorized to perform: ${denied.action} on resource: ${denied.resource} ${by}`;
    if (protocol === 'ec2')
      return new AwsError(
        'UnauthorizedOperation',
        `You are not authorized to perform this operation. ${message}`,
        403,
      );
    if (protocol === 'json') return new AwsError('AccessDeniedException', message, 400);
    return new AwsError('AccessDenied', message, 403);
  }
}
