// deploy-ami interrupted at every mutating call (issue 24 item 9): over the brownfield estate
// (test/e2e/brownfield.ts), one clean deploy records its mutating calls; then for every index k the
// deploy is ended at call k by the runner's cancel (SIGINT → SIGTERM 7.5 s → SIGKILL 2.5 s → post
// step), by throttling on every call from k on, by a 5xx at k, and by one group's instances turning
// unhealthy from k on. After each, every observable is diffed against the reading before the run
// and the intended state (test/support/observables.ts). Target: 0 violations. Each violation is
// logged with its ending, k, the call at k, the status and the diff.
import {
  describePoint,
  ENDINGS,
  representativeKs,
  startDriverCloud,
  sweep,
} from '../test/e2e/interruptions.js';
import { describeVerdict, violationKinds } from '../test/support/observables.js';
import type { BenchOptions, Section } from './report.js';

export async function interruptions(opts: BenchOptions): Promise<Omit<Section, 'ms'>> {
  const cloud = await startDriverCloud(opts.seed);
  try {
    const result = await sweep(cloud, {
      // --quick: the first, middle and last call, and a shorter runner cancel.
      ...(opts.quick ? { ks: representativeKs, sigtermAfterMs: 1500, killAfterMs: 500 } : {}),
      onPoint: (p) => {
        if (!p.verdict.ok || process.env.BENCH_DEBUG) opts.log(describePoint(p));
      },
    });
    const { clean, points } = result;
    if (!clean.verdict.ok) {
      opts.log('the uninterrupted deploy itself does not end in the intended state:');
      for (const l of describeVerdict(clean.verdict)) opts.log(`  ${l}`);
    }
    const violations = points.filter((p) => !p.verdict.ok);
    const by = (ending: string) => points.filter((p) => p.ending === ending);
    const list = (ps: typeof points) =>
      ps
        .filter((p) => !p.verdict.ok)
        .map((p) => `k=${p.k}`)
        .join(' ');
    return {
      name: 'deploy-ami interrupted at every mutating call',
      figures: [
        {
          metric: `mutating calls of one uninterrupted deploy over the brownfield estate (${clean.calls.length}: ${[
            ...new Set(clean.calls.map((c) => c.operation)),
          ].join(', ')})`,
          ours: clean.calls.length,
        },
        {
          metric: 'the uninterrupted deploy ends in the intended state with status healthy',
          ours: clean.verdict.ok ? 'yes' : `no (${clean.verdict.violations[0] ?? ''})`,
          target: 'yes',
          met: clean.verdict.ok,
        },
        {
          metric: `interruption points tried (${ENDINGS.join(', ')} × k)`,
          ours: points.length,
          ...(opts.quick ? {} : { target: '≥ 200', met: points.length >= 200 }),
          note: `${points.filter((p) => !p.reached).length} where call k was not reached`,
        },
        {
          metric:
            'invariant violations (environment neither as before nor the intended state, or status not saying which)',
          ours: violations.length,
          target: '0',
          met: violations.length === 0,
        },
        {
          metric: 'violations by what differs from the nearer of the two states',
          ours: kindCounts(violations.map((p) => violationKinds(p.verdict))) || 'none',
        },
        ...ENDINGS.map((e) => ({
          metric: `violations: ${e}`,
          ours: `${by(e).filter((p) => !p.verdict.ok).length}/${by(e).length}`,
          ...(list(by(e)) ? { note: list(by(e)) } : {}),
        })),
      ],
    };
  } finally {
    await cloud.stop();
  }
}

/** "launch source 12, status 3": how many violating points each kind of difference appears in. */
function kindCounts(kinds: string[][]): string {
  const counts = new Map<string, number>();
  for (const k of kinds.flat()) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}
