// Counting the AWS calls a run makes by SDK middleware, as wait-healthy charges its request budget:
// no counter threads through the code that makes the calls.
import type { ActionContext } from '../core/context.js';

/** The part of an SDK client the count touches: its middleware stack. */
interface Stacked {
  middlewareStack: {
    add(
      middleware: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

let counters = 0;

/**
 * A context whose EC2 clients count every command sent through them (each page of a paginator is
 * one; in the initialize step, outside the SDK's retries, so a retried command counts once), and
 * the count so far. The other clients are the context's own.
 */
export function countingEc2Calls(ctx: ActionContext): { ctx: ActionContext; calls: () => number } {
  let calls = 0;
  const name = `goldenAmiCallCount${++counters}`;
  const counted = new WeakSet<object>();
  const ec2 = (region?: string) => {
    const client = ctx.clients.ec2(region);
    if (!counted.has(client)) {
      counted.add(client);
      (client as unknown as Stacked).middlewareStack.add(
        (next) => (args) => {
          calls++;
          return next(args);
        },
        { step: 'initialize', name },
      );
    }
    return client;
  };
  const clients = Object.assign(Object.create(ctx.clients) as ActionContext['clients'], { ec2 });
  return { ctx: { ...ctx, clients }, calls: () => calls };
}
