// Entry of reap-octopus-orphans: inputs → reap → outputs and job summary.
import { EC2Client } from '@aws-sdk/client-ec2';
import { awsClients } from '../aws/clients.js';
import { runCapability } from '../core/run.js';
import { reapCapability } from '../reap/capability.js';

// The SDK clients this action uses: the only ones its bundle loads (Octopus: its own client).
await runCapability(reapCapability, awsClients({ ec2: EC2Client }));
