// Entry of promote-ami-parameter: inputs → promote → outputs and job summary.
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { awsClients } from '../aws/clients.js';
import { runCapability } from '../core/run.js';
import { promoteCapability } from '../promote/capability.js';

// The SDK clients this action uses: the only ones its bundle loads.
await runCapability(promoteCapability, awsClients({ ec2: EC2Client, ssm: SSMClient }));
