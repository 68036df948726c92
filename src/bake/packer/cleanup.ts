// After a Packer bake: its process stopped for good, then its temporary key pair and security group removed.
import {
  DeleteKeyPairCommand,
  DeleteSecurityGroupCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupsCommand,
} from '@aws-sdk/client-ec2';
import { readFileSync } from 'node:fs';
import { hasCode } from '../../aws/errors.js';
import { describeError } from '../../core/errors.js';
import type { AwsClients } from '../../aws/clients.js';
import type { Clock } from '../../core/clock.js';
import type { Log } from '../../core/log.js';
import type { PackerResources } from '../state.js';

interface CleanupContext {
  clients: AwsClients;
  clock: Clock;
  log: Log;
}

/** The part of cleanup.ts's CleanupReport this fills. */
interface CleanupReport {
  deletedKeyPairs: string[];
  deletedSecurityGroups: string[];
  leftovers: string[];
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Where /proc tells, whether the process is Packer (a reused pid is someone else's). */
function isPacker(pid: number): boolean {
  try {
    return /packer/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return process.platform !== 'linux';
  }
}

/**
 * A Packer that outlived its step (it was still cleaning up when the runner killed the step)
 * gets `waitMs` to finish its own cleanup, then its process group is killed: no Packer outlives
 * the job, and what it had not removed is removed next.
 */
export async function endPacker(ctx: CleanupContext, pid: number | undefined, waitMs: number): Promise<void> {
  if (!pid || !alive(pid) || !isPacker(pid)) return;
  ctx.log.info(
    `Packer (pid ${pid}) is still cleaning up: waiting up to ${Math.round(waitMs / 1000)} s for it.`,
  );
  const until = Date.now() + waitMs;
  // Real time: Packer runs on the real clock, whatever clock the bake keeps.
  while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
  if (!alive(pid)) return;
  ctx.log.warning(`Packer (pid ${pid}) did not end in time: killing its process group.`);
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    process.kill(pid, 'SIGKILL');
  }
}

/**
 * Deletes Packer's temporary key pairs and security groups by the names it announced. A group
 * is held by its instance until that has terminated (DependencyViolation): retried meanwhile.
 */
export async function removePackerTemporaries(
  ctx: CleanupContext,
  region: string,
  r: PackerResources,
  report: CleanupReport,
  o: { groupWaitMs: number },
): Promise<void> {
  const ec2 = ctx.clients.ec2(region);
  for (const name of r.keyPairs) {
    try {
      const out = await ec2.send(
        new DescribeKeyPairsCommand({ Filters: [{ Name: 'key-name', Values: [name] }] }),
      );
      if (!out.KeyPairs?.length) continue;
      await ec2.send(new DeleteKeyPairCommand({ KeyName: name }));
      report.deletedKeyPairs.push(name);
    } catch (err) {
      report.leftovers.push(`key pair ${name} in ${region}: ${describeError(err)}`);
    }
  }
  for (const name of r.securityGroups) {
    const until = ctx.clock.now() + o.groupWaitMs;
    for (;;) {
      try {
        const out = await ec2.send(
          new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [name] }] }),
        );
        const id = out.SecurityGroups?.[0]?.GroupId;
        if (!id) break;
        await ec2.send(new DeleteSecurityGroupCommand({ GroupId: id }));
        report.deletedSecurityGroups.push(`${name} (${id})`);
        break;
      } catch (err) {
        if (hasCode(err, 'DependencyViolation') && ctx.clock.now() < until) {
          await ctx.clock.sleep(Math.min(2_000, Math.max(200, o.groupWaitMs / 30)));
          continue;
        }
        report.leftovers.push(`security group ${name} in ${region}: ${describeError(err)}`);
        break;
      }
    }
  }
}
