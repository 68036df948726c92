import { DescribeInstancesCommand, TerminateInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import { fromTagList } from '../aws/tags.js';
import { describeError } from '../core/errors.js';
import type { ActionContext } from '../core/run.js';
import { TAG } from './tags.js';

export interface ExpiredBuilder {
  instanceId: string;
  bakeName: string;
  expiresAt: string;
}

/** Builders of earlier bakes (any name) still alive after their expiry time. */
export async function findExpiredBuilders(ctx: ActionContext, now: number): Promise<ExpiredBuilder[]> {
  const expired: ExpiredBuilder[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ctx.clients.ec2().send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'tag-key', Values: [TAG.builder] },
          { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
        ],
        MaxResults: 1000,
        NextToken,
      }),
      { abortSignal: ctx.signal },
    );
    for (const i of page.Reservations?.flatMap((r) => r.Instances ?? []) ?? []) {
      const found = expiredBuilder(i, now);
      if (found) expired.push(found);
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return expired;
}

export function expiredBuilder(i: Instance, now: number): ExpiredBuilder | undefined {
  const tags = fromTagList(i.Tags);
  const expiresAt = tags[TAG.expiresAt];
  // A builder without a readable expiry is not ours to judge.
  const at = expiresAt ? Date.parse(expiresAt) : NaN;
  if (!i.InstanceId || Number.isNaN(at) || at > now) return undefined;
  return { instanceId: i.InstanceId, bakeName: tags[TAG.builder] ?? '', expiresAt: expiresAt ?? '' };
}

/**
 * Terminates expired builders left by bakes that were killed before their post step ran. A
 * failure here is a warning: it must never stop today's bake.
 */
export async function reapExpiredBuilders(
  ctx: ActionContext,
  o: { now: number; dryRun: boolean },
): Promise<ExpiredBuilder[]> {
  let expired: ExpiredBuilder[];
  try {
    expired = await findExpiredBuilders(ctx, o.now);
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    ctx.log.warning(`janitor: could not list old builders: ${describeError(err)}`);
    return [];
  }
  if (!expired.length) {
    ctx.log.info('janitor: no expired builders.');
    return [];
  }
  for (const b of expired)
    ctx.log.warning(
      `janitor: ${o.dryRun ? 'would terminate' : 'terminating'} builder ${b.instanceId} of bake ${b.bakeName} (expired ${b.expiresAt}).`,
    );
  if (o.dryRun) return expired;
  try {
    await ctx.clients
      .ec2()
      .send(new TerminateInstancesCommand({ InstanceIds: expired.map((b) => b.instanceId) }));
  } catch (err) {
    ctx.log.warning(
      `janitor: could not terminate ${expired.map((b) => b.instanceId).join(', ')}: ${describeError(err)}`,
    );
    return [];
  }
  return expired;
}
