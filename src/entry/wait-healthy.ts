// Entry of wait-healthy: inputs → wait until healthy (or roll back) → outputs and job summary.
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { awsClients } from '../aws/clients.js';
import { runCapability } from '../core/run.js';
import { healthCapability } from '../health/capability.js';

// The SDK clients this action uses: the only ones its bundle loads (SQS: loaded only with events-queue-url).
await runCapability(
  healthCapability,
  awsClients({
    autoScaling: AutoScalingClient,
    ec2: EC2Client,
    elbv2: ElasticLoadBalancingV2Client,
    sqs: () => import('@aws-sdk/client-sqs').then((m) => m.SQSClient),
  }),
);
