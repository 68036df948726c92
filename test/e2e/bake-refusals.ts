// A bad input of bake-ami: the step fails with one line naming it and makes no AWS call at all
// (the post step included), as localcloud's call log shows.
import { expect } from '@jest/globals';
import type { ActionRun } from '../harness/run-action.js';
import type { Localcloud } from '../localcloud/index.js';

/** Runs `step` and holds it to: exit 1, exactly "Invalid input: <message>", no call to localcloud. */
export async function expectRefusedWithoutCalls(
  lc: Localcloud,
  step: () => Promise<ActionRun>,
  message: RegExp,
): Promise<void> {
  const calls = lc.logs.calls.query().length;
  const r = await step();
  expect(r.exitCode).toBe(1);
  expect(r.errors).toEqual([
    expect.stringMatching(new RegExp(`^Invalid input: ${message.source.replace(/^\^/, '')}`)),
  ]);
  expect(lc.logs.calls.query().length).toBe(calls);
}
