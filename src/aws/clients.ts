import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { USER_AGENT } from '../core/version.js';
import { reportNonAwsAnswers } from './non-aws-answer.js';

/** Per-region AWS clients, created on first use. Capabilities receive this, never construct clients. */
export interface AwsClients {
  readonly defaultRegion: string;
  ec2(region?: string): EC2Client;
  autoScaling(region?: string): AutoScalingClient;
  ssm(region?: string): SSMClient;
  elbv2(region?: string): ElasticLoadBalancingV2Client;
  sts(region?: string): STSClient;
  destroy(): void;
}

export interface ClientFactoryOptions {
  region: string;
  /** When the user set AWS_RETRY_MODE we leave the SDK to read it; otherwise adaptive. */
  retryModeFromEnv?: boolean;
}

type Ctor<C> = new (config: Record<string, unknown>) => C;

/**
 * One place that builds AWS clients: the standard credential chain, adaptive retries (the
 * client rate-limits itself when throttled), our user agent, and one clear line when something
 * that is not AWS answers (src/aws/non-aws-answer.ts). Endpoints are left to the SDK so
 * AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> point the same bundle at localcloud.
 */
export function createAwsClients(options: ClientFactoryOptions): AwsClients {
  const cache = new Map<string, { destroy(): void }>();
  const config = (region: string) => ({
    region,
    customUserAgent: USER_AGENT,
    ...(options.retryModeFromEnv ? {} : { retryMode: 'adaptive' }),
  });
  function get<C extends { destroy(): void }>(kind: string, ctor: Ctor<C>, region?: string): C {
    const r = region ?? options.region;
    const key = `${kind}:${r}`;
    let client = cache.get(key) as C | undefined;
    if (!client) {
      client = new ctor(config(r));
      reportNonAwsAnswers(client as unknown as Parameters<typeof reportNonAwsAnswers>[0]);
      cache.set(key, client);
    }
    return client;
  }
  return {
    defaultRegion: options.region,
    ec2: (r) => get('ec2', EC2Client as Ctor<EC2Client>, r),
    autoScaling: (r) => get('autoscaling', AutoScalingClient as Ctor<AutoScalingClient>, r),
    ssm: (r) => get('ssm', SSMClient as Ctor<SSMClient>, r),
    elbv2: (r) => get('elbv2', ElasticLoadBalancingV2Client as Ctor<ElasticLoadBalancingV2Client>, r),
    sts: (r) => get('sts', STSClient as Ctor<STSClient>, r),
    destroy: () => {
      for (const c of cache.values()) c.destroy();
      cache.clear();
    },
  };
}
