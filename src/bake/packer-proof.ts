// Holds the Packer engine to the native engine's proof: its builder's console, read after Packer is done.
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ActionFailure } from '../core/errors.js';
import type { ActionContext } from '../core/context.js';
import { consoleFailure, proveFromConsole, transitionAt } from './builder.js';
import { ConsoleWatch, SUCCESS_MARKER } from './console.js';
import type { Script } from './provisioning.js';
import type { Schedule } from './schedule.js';
import { TAG } from './tags.js';

/** Does the template (or a user_data_file it names) print the success marker? */
async function promisesSuccess(template: Script, workingDirectory: string): Promise<boolean> {
  if (template.content.includes(SUCCESS_MARKER)) return true;
  const files = [...template.content.matchAll(/"user_data_file"\s*:\s*"([^"]+)"/g)].map((m) => m[1]!);
  for (const file of files) {
    const text = await readFile(resolve(workingDirectory, file), 'utf8').catch(() => '');
    if (text.includes(SUCCESS_MARKER)) return true;
  }
  return false;
}

/**
 * Finds Packer's builder by the bake id its run_tags carry and proves the build from its console,
 * as for the native engine: no failure line, and the success marker when the user data prints it.
 */
export async function provePackerBuild(
  ctx: ActionContext,
  o: {
    bakeId: string;
    failureMarker: string;
    template: Script;
    workingDirectory: string;
    deadline: number;
    schedule: Schedule;
  },
): Promise<void> {
  const requireSuccess = await promisesSuccess(o.template, o.workingDirectory);
  const out = await ctx.clients
    .ec2()
    .send(new DescribeInstancesCommand({ Filters: [{ Name: `tag:${TAG.bakeId}`, Values: [o.bakeId] }] }), {
      abortSignal: ctx.signal,
    });
  const builder = out.Reservations?.flatMap((r) => r.Instances ?? [])[0];
  if (!builder?.InstanceId) {
    const why = `no instance tagged ${TAG.bakeId}=${o.bakeId} (set it in the template's run_tags from bake_id)`;
    if (requireSuccess) throw new ActionFailure(`cannot prove the Packer build succeeded: ${why}`);
    ctx.log.warning(`The Packer build is not checked against its builder's console: ${why}.`);
    return;
  }
  const id = builder.InstanceId;
  // The post that follows Packer's stop or termination is newer than that transition.
  await proveFromConsole(ctx, {
    instanceId: id,
    deadline: o.deadline,
    schedule: o.schedule,
    requireSuccess,
    watch: new ConsoleWatch(ctx, id, o.failureMarker),
    postedBefore: (transitionAt(builder) ?? 0) - 1,
    fail: consoleFailure(id, o.failureMarker),
  });
}
