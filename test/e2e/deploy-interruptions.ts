// deploy-ami ended at representative mutating calls (issue 24 item 9; the whole sweep is the bench's
// `interruptions` section): over the brownfield estate, one clean deploy records its mutating calls,
// then the first, middle and last of them is where each ending strikes — the runner's cancel
// (SIGINT, SIGTERM, SIGKILL, shortened here, then the post step), throttling on every call from there
// on, a 5xx there, and one group's instances turning unhealthy from there on. Every case asserts the
// invariant by diffing every observable: as before, or the complete intended state, and `status` says
// which. A failure prints the ending, k, the call at k, the status and the diff.
//
// The cases are split over three test files (deploy-interruptions*.test.ts), each with its own
// localcloud and its own recorded runs, so that jest runs them side by side: together they are the
// whole subset, every ending of ENDINGS in exactly one of them.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { describeVerdict } from '../support/observables.js';
import {
  describePoint,
  ENDINGS,
  recordCleanRun,
  representativeKs,
  runPoint,
  startDriverCloud,
  type DriverCloud,
  type EndingKind,
  FAILING_GROUP,
  type MutatingCall,
  type Recorded,
} from './interruptions.js';

/** The endings deploy-interruptions.test.ts takes; deploy-interruptions-faults.test.ts takes the rest. */
export const SIGNAL_AND_THROTTLE: readonly EndingKind[] = ['cancel', 'kill', 'throttle'];
export const OTHER_ENDINGS: readonly EndingKind[] = ENDINGS.filter((e) => !SIGNAL_AND_THROTTLE.includes(e));

export interface InterruptionPart {
  /** The uninterrupted run's own test. */
  uninterrupted?: boolean;
  /** Endings struck at the first, middle or last mutating call of the healthy-AMI deploy. */
  endings?: readonly EndingKind[];
  /** The failing-group deploy and the endings that strike its put-back. */
  putBack?: boolean;
}

/** Declares one part's tests in the calling test file. */
export function deployInterruptionTests(part: InterruptionPart): void {
  jest.setTimeout(180_000);

  let cloud: DriverCloud;
  let calls: MutatingCall[];
  let clean: Recorded;
  let failing: Recorded;

  beforeAll(async () => {
    cloud = await startDriverCloud(11);
    clean = await recordCleanRun(cloud);
    calls = clean.calls;
    if (part.putBack) failing = await recordCleanRun(cloud, 'failing-group');
  }, 180_000);
  afterAll(async () => {
    await cloud.stop();
  });

  if (part.uninterrupted)
    test('an uninterrupted deploy over the estate makes mutating calls and ends in the intended state, healthy', () => {
      expect(calls.length).toBeGreaterThan(3);
      expect(clean.run.outputs.status).toBe('healthy');
      expect(clean.verdict.ok ? '' : describeVerdict(clean.verdict).join('\n')).toBe('');
    });

  const POSITIONS = ['first', 'middle', 'last'] as const;
  /** Every ending at the middle call; the four of the issue at the first and last too. */
  const positionsOf = (ending: string) =>
    ['cancel', 'throttle', '5xx', 'unhealthy'].includes(ending) ? POSITIONS : (['middle'] as const);

  if (part.endings?.length)
    describe.each(part.endings)('%s', (ending) => {
      test.each([...positionsOf(ending)])(
        `at the %s mutating call: as before or the intended state, and status says which`,
        async (position) => {
          const k = representativeKs(calls)[POSITIONS.indexOf(position)] ?? calls.length;
          const p = await runPoint(cloud, ending, calls[k - 1]!, {
            sigtermAfterMs: 1500,
            killAfterMs: 500,
            // Four calls' worth of SDK attempts (the bench throttles 30 answers).
            throttleBound: 12,
          });
          expect(p.reached || ending === 'unhealthy' ? 'reached' : `call k=${k} never reached`).toBe(
            'reached',
          );
          expect(p.verdict.ok ? '' : describePoint(p)).toBe('');
        },
      );
    });

  if (part.putBack)
    describe(`a deploy whose AMI fails in ${FAILING_GROUP}: endings that strike its put-back`, () => {
      test('uninterrupted, it ends as before, and status says so', () => {
        expect(failing.calls.length).toBeGreaterThan(calls.length);
        expect(failing.verdict.ok ? '' : describeVerdict(failing.verdict).join('\n')).toBe('');
      });

      const PUT_BACK_ENDINGS = ['cancel', 'kill', 'throttle', 'denied'] as const;
      test.each(PUT_BACK_ENDINGS)('%s at its last mutating call (the put-back)', async (ending) => {
        const call = failing.calls.at(-1)!;
        const p = await runPoint(cloud, ending, call, {
          baseline: 'failing-group',
          sigtermAfterMs: 1500,
          killAfterMs: 500,
          throttleBound: 12,
        });
        expect(p.reached ? 'reached' : `call k=${call.k} never reached`).toBe('reached');
        expect(p.verdict.ok ? '' : describePoint(p)).toBe('');
      });
    });
}
