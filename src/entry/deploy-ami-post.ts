// Entry of deploy-ami's post step: finishes putting back a deployment that was cancelled or whose
// put-back could not finish in the main step.
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { awsClients } from '../aws/clients.js';
import { runPost } from '../core/run.js';
import { readStateFiles } from '../core/state-files.js';
import { deploySpec } from '../deploy/inputs.js';
import { finishDeploy } from '../deploy/post.js';

// The SDK clients this step uses: the only ones its bundle loads.
await runPost(
  deploySpec,
  awsClients({ autoScaling: AutoScalingClient, ec2: EC2Client, ssm: SSMClient }),
  async (inputs, ctx, io) => {
    await finishDeploy(ctx, readStateFiles(io.getState), inputs);
  },
);
