// Two readings of one request: AWS's evaluation logic as @cloud-copilot/iam-simulate implements it
// (written by others, from the Service Authorization Reference), and localcloud's own evaluator.
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { evaluate, statements, type AuthRequest, type PolicyDocument } from '../../localcloud/iam.js';

export const ACCOUNT = '123456789012';
const PRINCIPAL = `arn:aws:iam::${ACCOUNT}:role/golden-ami-production`;

/** What applies to a principal: its identity policies, and the organization's SCPs and RCPs. */
export interface Policies {
  identity: Record<string, PolicyDocument>;
  scps?: Record<string, PolicyDocument>;
  rcps?: Record<string, PolicyDocument>;
  principal?: string;
}

export interface IndependentDecision {
  allowed: boolean;
  /** Context keys iam-simulate dropped as not applying to the action and resource type. */
  ignored: string[];
  /** iam-simulate cannot evaluate this resource at all (only AWS-owned SSM resources). */
  unsupported?: true;
}

/** AWS's own SSM resources (public parameters, AWS-* documents) have no account in their ARN. */
export const AWS_OWNED_SSM = /^arn:aws:ssm:[^:]*::/;

/** A KMS key's default key policy: the account's IAM policies decide ("Enable IAM User Permissions"). */
const DEFAULT_KEY_POLICY = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
  ],
};

const named = (docs: Record<string, PolicyDocument> | undefined) =>
  Object.entries(docs ?? {}).map(([name, policy]) => ({ name, policy }));

const org = (docs: Record<string, PolicyDocument> | undefined) =>
  docs ? [{ orgIdentifier: `${ACCOUNT}`, policies: named(docs) }] : [];

const values = (context: AuthRequest['context']) =>
  Object.fromEntries(
    Object.entries(context ?? {}).filter((e): e is [string, string | string[]] => e[1] !== undefined),
  );

/**
 * The independent decision. Every resource is given to the simulator as this account's: EC2 has no
 * resource policies, so whose image it is travels in `ec2:Owner`, as AWS sends it.
 */
export async function independent(p: Policies, req: AuthRequest): Promise<IndependentDecision> {
  const principal = p.principal ?? PRINCIPAL;
  const result = await runSimulation(
    {
      request: {
        principal,
        action: req.action,
        resource: { resource: req.resource, accountId: ACCOUNT },
        // Global keys are the caller's to give in Strict mode; AWS sets these on every request.
        contextVariables: {
          'aws:PrincipalArn': principal,
          'aws:PrincipalAccount': ACCOUNT,
          ...values(req.context),
        },
      },
      identityPolicies: named(p.identity),
      serviceControlPolicies: org(p.scps),
      resourceControlPolicies: org(p.rcps),
      ...(req.action.startsWith('kms:') ? { resourcePolicy: DEFAULT_KEY_POLICY } : {}),
    },
    { simulationMode: 'Strict' },
  );
  if (result.resultType === 'error') {
    // iam-simulate's ARN patterns require an account.
    if (AWS_OWNED_SSM.test(req.resource)) return { allowed: false, ignored: [], unsupported: true };
    throw new Error(
      `iam-simulate refused ${req.action} on ${req.resource}: ${JSON.stringify(result.errors)}`,
    );
  }
  const ignored = result.resultType === 'single' ? (result.result.ignoredContextKeys ?? []) : [];
  return { allowed: result.overallResult === 'Allowed', ignored };
}

/** localcloud's decision over the same identity policies (it has no SCPs: one account, one role). */
export function localcloud(p: Policies, req: AuthRequest): boolean {
  const union: PolicyDocument = {
    Version: '2012-10-17',
    Statement: Object.values(p.identity).flatMap((d) => statements(d)),
  };
  return evaluate(union, req).allowed;
}
