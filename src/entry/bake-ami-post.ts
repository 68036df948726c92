// Entry of bake-ami's post step: removes what a cancelled or failed bake left behind.
import { EC2Client } from '@aws-sdk/client-ec2';
import { awsClients } from '../aws/clients.js';
import { bakeSpec } from '../bake/inputs.js';
import { cleanupAfterBake } from '../bake/post.js';
import { readSavedBake } from '../bake/state.js';
import { runPost } from '../core/run.js';

// The SDK clients this action uses: the only ones its bundle loads.
await runPost(bakeSpec, awsClients({ ec2: EC2Client }), async (inputs, ctx, io) => {
  await cleanupAfterBake(ctx, readSavedBake(io.getState), {
    retryDelayMs: Math.round(inputs.pollInterval * 1000),
  });
});
