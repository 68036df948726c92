// The EventBridge rule of wait-healthy's README (source aws.autoscaling, the instance refresh
// detail-types, an SQS target), put through localcloud's EventBridge API. No EventBridge SDK client
// is a dependency, so this sends AWS JSON 1.1 itself (localcloud reads the SigV4 scope, not the signature).
import type { Localcloud } from './index.js';

/** The detail-types of the README's rule: every instance refresh state change wait-healthy acts on. */
export const REFRESH_EVENT_TYPES = [
  'EC2 Auto Scaling Instance Refresh Succeeded',
  'EC2 Auto Scaling Instance Refresh Failed',
  'EC2 Auto Scaling Instance Refresh Cancelled',
  'EC2 Auto Scaling Instance Refresh Checkpoint Reached',
  'EC2 Auto Scaling Instance Refresh Started',
  'EC2 Auto Scaling Instance Refresh Started Baking',
  'EC2 Auto Scaling Instance Refresh Rollback Started',
  'EC2 Auto Scaling Instance Refresh Rollback Succeeded',
  'EC2 Auto Scaling Instance Refresh Rollback Failed',
];

export class EventBridgeRule {
  constructor(
    private readonly lc: Pick<Localcloud, 'url'>,
    private readonly region: string,
  ) {}

  private async call(operation: string, body: object): Promise<Record<string, unknown>> {
    const res = await fetch(this.lc.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `AWSEvents.${operation}`,
        authorization: `AWS4-HMAC-SHA256 Credential=AKIDLOCALCLOUDTEST/20250101/${this.region}/events/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: JSON.stringify(body),
    });
    const out = (await res.json()) as Record<string, unknown>;
    if (!res.ok) {
      const err = new Error(String(out.message));
      err.name = String(out.__type);
      throw err;
    }
    return out;
  }

  putRaw(name: string, pattern: string): Promise<Record<string, unknown>> {
    return this.call('PutRule', { Name: name, EventPattern: pattern, State: 'ENABLED' });
  }

  /** PutRule with the pattern, then PutTargets to the queue ARN; returns the rule's ARN. */
  async put(name: string, pattern: object, queueArn: string): Promise<string> {
    const { RuleArn } = await this.putRaw(name, JSON.stringify(pattern));
    await this.call('PutTargets', { Rule: name, Targets: [{ Id: 'queue', Arn: queueArn }] });
    return String(RuleArn);
  }

  destroy(): void {
    // Nothing held open; kept for symmetry with the SDK clients the tests destroy.
  }
}
