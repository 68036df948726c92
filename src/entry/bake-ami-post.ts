import { bakeSpec } from '../bake/inputs.js';
import { cleanupAfterBake } from '../bake/post.js';
import { readSavedBake } from '../bake/state.js';
import { runPost } from '../core/run.js';

await runPost(bakeSpec, async (inputs, ctx, io) => {
  await cleanupAfterBake(ctx, readSavedBake(io.getState), {
    retryDelayMs: inputs.pollIntervalSeconds * 1000,
  });
});
