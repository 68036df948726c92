// Entry of bake-ami: inputs → bake → outputs, saved state for the post step, job summary.
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { awsClients } from '../aws/clients.js';
import { bakeCapability } from '../bake/capability.js';
import { runCapability } from '../core/run.js';

// The SDK clients this action uses: the only ones its bundle loads.
await runCapability(bakeCapability, awsClients({ ec2: EC2Client, ssm: SSMClient }));
