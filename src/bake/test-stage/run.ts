// The test stage as a phase of the bake: what testImage needs from the run, timed and named "test".
import type { ActionContext } from '../../core/context.js';
import { testImage } from './load.js';
import type { BakeRunOptions, Found, Run } from '../types.js';

export function runTestStage(
  ctx: ActionContext,
  run: Run,
  o: BakeRunOptions,
  f: Found,
  test: NonNullable<Found['test']>,
  amiId: string,
): Promise<string> {
  return run.phases.run('test', `Test ${amiId} on an instance of its own`, () =>
    testImage(ctx, test, {
      ...o,
      bakeName: o.name,
      amiId,
      rootDeviceName: f.source.rootDeviceName,
      platform: run.result.platform,
      expiresAt: run.expiresAt,
      deadline: run.deadline.at,
      schedule: f.schedule,
    }),
  );
}
