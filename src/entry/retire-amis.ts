// Entry of retire-amis: inputs → retire → outputs and job summary.
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { awsClients } from '../aws/clients.js';
import { runCapability } from '../core/run.js';
import { retireCapability } from '../retire/capability.js';

// The SDK clients this action uses: the only ones its bundle loads.
await runCapability(
  retireCapability,
  awsClients({ autoScaling: AutoScalingClient, ec2: EC2Client, ssm: SSMClient }),
);
