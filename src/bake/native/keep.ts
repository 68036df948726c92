// on-failure: keep — a failed bake's builder is stopped and kept for debugging, tagged so the bake's
// own cleanup and post step leave it and a later bake's janitor terminates it after its expiry.
import { CreateTagsCommand } from '@aws-sdk/client-ec2';
import { toTagList } from '../../aws/tags.js';
import { ActionFailure, describeError } from '../../core/errors.js';
import type { ActionContext } from '../../core/context.js';
import { stopBuilder } from './builder.js';
import { TAG } from '../tags.js';

/**
 * Stops the builder and tags it kept, with `golden-ami:expires-at` moved to `keepHours` from now.
 * Returns the line the failure gains, or undefined when it could not be kept (then the bake's
 * cleanup terminates it as usual: only the tag spares a builder).
 */
export async function keepFailedBuilder(
  ctx: ActionContext,
  o: { builderId: string; bakeId: string; keepHours: number },
): Promise<string | undefined> {
  const until = new Date(ctx.clock.now() + o.keepHours * 3_600_000).toISOString();
  try {
    await stopBuilder(ctx, o.builderId);
    await ctx.clients.ec2().send(
      new CreateTagsCommand({
        Resources: [o.builderId],
        Tags: toTagList({ [TAG.kept]: o.bakeId, [TAG.expiresAt]: until }),
      }),
    );
  } catch (err) {
    ctx.log.warning(
      `on-failure: keep: could not keep builder ${o.builderId}, so it is removed: ${describeError(err)}`,
    );
    return undefined;
  }
  const line = `builder ${o.builderId} kept, stopped, until ${until} (on-failure: keep; a later bake's janitor terminates it then)`;
  ctx.log.info(`Kept ${line}.`);
  return line;
}

/** The bake's failure, its line ending with where the kept builder is. */
export const keptFailure = (err: unknown, kept: string): ActionFailure =>
  new ActionFailure(`${describeError(err)}; ${kept}`, { cause: err });
