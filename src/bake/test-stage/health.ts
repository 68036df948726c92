// test-health-url: after the test script passed, the test instance must answer the URL (2xx) within
// 30 poll intervals (5 minutes at the default poll-interval).
import type { ActionContext } from '../../core/context.js';
import { ActionFailure, TimeoutError } from '../../core/errors.js';
import { poll } from '../../core/poll.js';
import { checkInstance } from '../../health/http-check.js';
import { describeBuilder } from '../native/builder.js';

const POLLS = 30;
const REQUEST_TIMEOUT_MS = 5_000;

/** Polls the URL on the instance until it answers 2xx; fails with the last answer. Returns it. */
export async function waitForTestHealth(
  ctx: ActionContext,
  o: { instanceId: string; url: string; deadline: number; pollIntervalMs: number },
): Promise<string> {
  let last = 'not asked yet';
  return poll({
    phase: `waiting for test-health-url on ${o.instanceId}`,
    clock: ctx.clock,
    signal: ctx.signal,
    deadline: Math.min(o.deadline, ctx.clock.now() + POLLS * o.pollIntervalMs),
    minDelayMs: o.pollIntervalMs / 10,
    maxDelayMs: o.pollIntervalMs,
    check: async () => {
      const i = await describeBuilder(ctx, o.instanceId);
      const answer = await checkInstance(
        { instanceId: o.instanceId, privateIp: i?.PrivateIpAddress, privateDns: i?.PrivateDnsName },
        { template: o.url, timeoutMs: REQUEST_TIMEOUT_MS, fetch, signal: ctx.signal },
      );
      last = answer.detail;
      return answer.ok ? { done: true, value: answer.detail } : { done: false, progress: answer.detail };
    },
  }).catch((err: unknown) => {
    if (err instanceof TimeoutError)
      throw new ActionFailure(
        `test-health-url ${o.url} did not answer 2xx on test instance ${o.instanceId} (last: ${last})`,
      );
    throw err;
  });
}
