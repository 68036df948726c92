// Types only: each entry passes the client classes it uses (AwsServices) to awsClients, so a bundle loads
// only those SDK packages.
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { STSClient } from '@aws-sdk/client-sts';
import type { ActionClients, ClientFactory } from '../core/context.js';
import { USER_AGENT } from '../core/version.js';
import { reportNonAwsAnswers } from './non-aws-answer.js';

declare module '../core/context.js' {
  /** Per-region AWS clients, created on first use. Capabilities receive these, never construct clients. */
  interface ActionClients {
    ec2(region?: string): EC2Client;
    autoScaling(region?: string): AutoScalingClient;
    ssm(region?: string): SSMClient;
    elbv2(region?: string): ElasticLoadBalancingV2Client;
    sts(region?: string): STSClient;
    /**
     * Loads the SQS SDK on first use (only events-queue-url needs it). Optional so test fakes of
     * actions without events need not stub it; createAwsClients always has it.
     */
    sqs?(region?: string): Promise<SQSClient>;
  }
}

/** The AWS clients every capability's context holds (core's ActionClients, with the AWS members above). */
export type AwsClients = ActionClients;

/** The SDK client classes an action uses, passed by its entry; any other client is a bug. */
export interface AwsServices {
  ec2?: typeof EC2Client;
  autoScaling?: typeof AutoScalingClient;
  ssm?: typeof SSMClient;
  elbv2?: typeof ElasticLoadBalancingV2Client;
  sts?: typeof STSClient;
  /** Loaded when first used, e.g. `() => import('@aws-sdk/client-sqs').then((m) => m.SQSClient)`. */
  sqs?: () => Promise<typeof SQSClient>;
}

export interface ClientFactoryOptions {
  region: string;
  /** The action's name, for the error when it asks for a client it did not declare. */
  action: string;
  services: AwsServices;
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
  const { services } = options;
  const cache = new Map<string, { destroy(): void }>();
  const config = (region: string) => ({
    region,
    customUserAgent: USER_AGENT,
    ...(options.retryModeFromEnv ? {} : { retryMode: 'adaptive' }),
  });
  function get<C extends { destroy(): void }>(
    kind: keyof AwsServices,
    ctor: Ctor<C> | undefined,
    region?: string,
  ): C {
    if (!ctor)
      throw new Error(
        `bug: ${options.action} uses the ${kind} client but its entry does not pass it to awsClients`,
      );
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
    ec2: (r) => get('ec2', services.ec2 as Ctor<EC2Client> | undefined, r),
    autoScaling: (r) => get('autoScaling', services.autoScaling as Ctor<AutoScalingClient> | undefined, r),
    ssm: (r) => get('ssm', services.ssm as Ctor<SSMClient> | undefined, r),
    elbv2: (r) => get('elbv2', services.elbv2 as Ctor<ElasticLoadBalancingV2Client> | undefined, r),
    sts: (r) => get('sts', services.sts as Ctor<STSClient> | undefined, r),
    sqs: async (r) => get('sqs', (await services.sqs?.()) as Ctor<SQSClient> | undefined, r),
    destroy: () => {
      for (const c of cache.values()) c.destroy();
      cache.clear();
    },
  };
}

/**
 * The entry's client factory for runCapability: the SDK client classes the action uses (only
 * those are bundled and loaded); adaptive retries unless the user set AWS_RETRY_MODE.
 */
export function awsClients(services: AwsServices): ClientFactory {
  return ({ region, action, env }) =>
    createAwsClients({ region, action, services, retryModeFromEnv: Boolean(env.AWS_RETRY_MODE) });
}
