// The janitor's share of Packer bakes: temporary key pairs and security groups of killed jobs, past their expiry.
import {
  DeleteKeyPairCommand,
  DeleteSecurityGroupCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupsCommand,
  type Tag,
} from '@aws-sdk/client-ec2';
import { fromTagList } from '../../aws/tags.js';
import type { ActionContext } from '../../core/context.js';
import { describeError } from '../../core/errors.js';
import { TEMPORARY } from './resources.js';
import { TAG } from '../tags.js';

const expired = (name: string | undefined, tags: Tag[] | undefined, now: number) => {
  const t = fromTagList(tags);
  const at = Date.parse(t[TAG.expiresAt] ?? '');
  // Packer's temporary names only, whatever the tags say.
  return TEMPORARY.test(name ?? '') && !!t[TAG.bakeId] && !Number.isNaN(at) && at <= now;
};

/**
 * Deletes Packer's key pairs and security groups that a bake tagged (its job was killed before
 * its post step) once past their expiry. Warnings only: it must never stop today's bake. A group
 * still held by its builder goes on a later run, once the builder janitor has terminated it.
 */
export async function removeExpiredPackerTemporaries(
  ctx: ActionContext,
  o: { now: number; dryRun: boolean },
): Promise<string[]> {
  const ec2 = ctx.clients.ec2();
  const byExpiry = [{ Name: 'tag-key', Values: [TAG.expiresAt] }];
  const removed: string[] = [];
  const remove = async (what: string, del: () => Promise<unknown>) => {
    ctx.log.warning(`janitor: ${o.dryRun ? 'would delete' : 'deleting'} Packer's ${what} of a killed bake.`);
    if (o.dryRun) return removed.push(what);
    try {
      await del();
      removed.push(what);
    } catch (err) {
      ctx.log.warning(`janitor: could not delete ${what}: ${describeError(err)}`);
    }
    return removed.length;
  };
  try {
    const keys = await ec2.send(new DescribeKeyPairsCommand({ Filters: byExpiry }), {
      abortSignal: ctx.signal,
    });
    for (const k of keys.KeyPairs ?? [])
      if (expired(k.KeyName, k.Tags, o.now))
        await remove(`key pair ${k.KeyName}`, () =>
          ec2.send(new DeleteKeyPairCommand({ KeyName: k.KeyName })),
        );
    const groups = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: byExpiry }), {
      abortSignal: ctx.signal,
    });
    for (const g of groups.SecurityGroups ?? [])
      if (expired(g.GroupName, g.Tags, o.now))
        await remove(`security group ${g.GroupName} (${g.GroupId})`, () =>
          ec2.send(new DeleteSecurityGroupCommand({ GroupId: g.GroupId })),
        );
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    ctx.log.warning(`janitor: could not list Packer's temporary key pairs and groups: ${describeError(err)}`);
  }
  return removed;
}
