// deploy-ami interrupted at every mutating call (issue 24 item 9): over the brownfield estate
// (test/e2e/brownfield.ts), one uninterrupted deploy records its mutating calls — of a healthy AMI,
// and of an AMI failing in one group (so its put-back's calls are struck too); then for every index k the
// deploy is ended at call k in every way test/e2e/interruptions.ts lists (the runner's cancel,
// SIGKILL, throttling from k on, a 5xx, a dropped answer, AccessDenied, one group unhealthy). After each, every observable is diffed against the reading before the run
// and the intended state (test/support/observables.ts). Target: 0 violations. Each violation is
// logged with its ending, k, the call at k, the status and the diff.
import {
  BASELINES,
  describePoint,
  endingsFor,
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
    const { recorded, points } = result;
    for (const r of recorded)
      if (r.baseline === 'healthy-ami' && !r.verdict.ok) {
        opts.log('the uninterrupted deploy of a healthy AMI does not end in the intended state:');
        for (const l of describeVerdict(r.verdict)) opts.log(`  ${l}`);
      }
    const violations = points.filter((p) => !p.verdict.ok);
    const perBaseline = recorded.flatMap((r) => {
      const mine = points.filter((p) => p.baseline === r.baseline);
      return [
        {
          metric: `${r.baseline}: mutating calls of the uninterrupted deploy (${[
            ...new Set(r.calls.map((c) => c.operation)),
          ].join(
            ', ',
          )}); it ended ${r.run.outputs.status ?? '(no status)'}, ${r.verdict.ok ? 'invariant held' : `invariant violated: ${violationKinds(r.verdict).join(', ')}`}`,
          ours: r.calls.length,
          ...(r.baseline === 'healthy-ami' ? { target: 'invariant holds', met: r.verdict.ok } : {}),
        },
        ...endingsFor(r.baseline).map((e) => {
          const ps = mine.filter((p) => p.ending === e);
          const bad = ps.filter((p) => !p.verdict.ok);
          return {
            metric: `${r.baseline}, ${e}: violations / points`,
            ours: `${bad.length}/${ps.length}`,
            ...(bad.length ? { note: `k = ${bad.map((p) => p.k).join(' ')}` } : {}),
          };
        }),
      ];
    });
    return {
      name: 'deploy-ami interrupted at every mutating call',
      figures: [
        {
          metric: `interruption points tried (${BASELINES.join(' and ')} runs × every mutating call k × their endings)`,
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
        ...perBaseline,
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
