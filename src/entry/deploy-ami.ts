// Entry of deploy-ami (the root action): inputs → deploy transaction → outputs and job summary.
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { awsClients } from '../aws/clients.js';
import { runCapability } from '../core/run.js';
import { deployCapability } from '../deploy/capability.js';

// The SDK clients this action uses: the only ones its bundle loads (SQS: loaded only with events-queue-url).
await runCapability(
  deployCapability,
  awsClients({
    autoScaling: AutoScalingClient,
    ec2: EC2Client,
    elbv2: ElasticLoadBalancingV2Client,
    ssm: SSMClient,
    sqs: () => import('@aws-sdk/client-sqs').then((m) => m.SQSClient),
  }),
);
