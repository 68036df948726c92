// Entry of roll-asg's post step: puts back what a cancelled run changed.
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { awsClients } from '../aws/clients.js';
import { runPost } from '../core/run.js';
import { readStateFiles } from '../core/state-files.js';
import { rollSpec } from '../roll/inputs.js';
import { finishRoll } from '../roll/post.js';

// The SDK clients this step uses: the only ones its bundle loads.
await runPost(
  rollSpec,
  awsClients({ autoScaling: AutoScalingClient, ec2: EC2Client, ssm: SSMClient }),
  async (inputs, ctx, io) => {
    await finishRoll(ctx, readStateFiles(io.getState), inputs);
  },
);
