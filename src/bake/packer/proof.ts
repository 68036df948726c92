// Holds the Packer engine to the native engine's proof: its builder's console, read after Packer is done.
import { DescribeInstancesCommand, type DescribeInstancesCommandInput } from '@aws-sdk/client-ec2';
import { ActionFailure } from '../../core/errors.js';
import type { ActionContext } from '../../core/context.js';
import { consoleFailure, proveFromConsole, transitionAt } from '../native/builder.js';
import { ConsoleWatch, SUCCESS_MARKER } from '../native/console.js';
import type { PackerTemplate } from './template.js';
import type { Schedule } from '../schedule.js';
import { TAG } from '../tags.js';

/** Does the template's user data (inline, or a file it names, in either format) print the success marker? */
const promisesSuccess = (t: PackerTemplate): boolean =>
  t.files.some((f) => f.content.includes(SUCCESS_MARKER)) ||
  t.references.some((r) => r.role === 'user-data' && r.content.includes(SUCCESS_MARKER));

/**
 * Finds Packer's builder by the bake id its run_tags carry (or the id Packer's output announced)
 * and proves the build from its console,
 * as for the native engine: no failure line, and the success marker when the user data prints it.
 */
export async function provePackerBuild(
  ctx: ActionContext,
  o: {
    bakeId: string;
    /** The builder id Packer's output announced. */
    announced?: string;
    failureMarker: string;
    template: PackerTemplate;
    deadline: number;
    schedule: Schedule;
  },
): Promise<void> {
  const requireSuccess = promisesSuccess(o.template);
  const find = (input: DescribeInstancesCommandInput) =>
    ctx.clients
      .ec2()
      .send(new DescribeInstancesCommand(input), { abortSignal: ctx.signal })
      .then((out) => out.Reservations?.flatMap((r) => r.Instances ?? [])[0]);
  // run_tags' bake id first; else the instance Packer announced (a template without run_tags).
  const builder =
    (await find({ Filters: [{ Name: `tag:${TAG.bakeId}`, Values: [o.bakeId] }] })) ??
    (o.announced ? await find({ InstanceIds: [o.announced] }) : undefined);
  if (!builder?.InstanceId) {
    const why = `no instance tagged ${TAG.bakeId}=${o.bakeId} (set it in the template's run_tags from bake_id), and Packer announced none`;
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
