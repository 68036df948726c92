// bake-ami (engine: native) against Packer 1.6.6 (Debian's, amazon-ebs), same localcloud, same
// source AMI, same user data (image/linux/user-data.sh: provision, then power off), same instance
// type. Figures: wall-clock overhead beyond the intrinsic boot + provision + stop + imaging time,
// EC2 API calls from the call log, and the no-change rebake (bake-ami reuses; Packer bakes again).
//
// Time runs COMPRESSION× faster than AWS (realistic 30 s boot, 120 s provision, 20 s stop, 180 s
// imaging), and both tools' poll delays are compressed alike: Packer's 15 s waiter delay
// (AWS_POLL_DELAY_SECONDS) and bake-ami's 10 s poll-interval default.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { repoRoot } from '../test/harness/action-metadata.js';
import { AL2023_PARAMETER, CREDENTIALS, startCloud, type BenchCloud } from './cloud.js';
import { median, ratio, type BenchOptions, type Section } from './report.js';
import { firstError, runStep } from './steps.js';

const PACKER = '/usr/bin/packer';
const COMPRESSION = 15;
const REGION = 'us-east-1';
const INSTANCE_TYPE = 't3.medium';
const REALISTIC_S = {
  instanceBoot: 30,
  provision: 120,
  instanceStop: 20,
  imageAvailable: 180,
  instanceTerminate: 30,
};

const durations = Object.fromEntries(
  Object.entries(REALISTIC_S).map(([k, s]) => [k, Math.round((s * 1000) / COMPRESSION)]),
) as Record<keyof typeof REALISTIC_S, number>;
/** What any bake must wait for, whoever drives it. */
const INTRINSIC_MS =
  durations.instanceBoot + durations.provision + durations.instanceStop + durations.imageAvailable;

interface Bake {
  /** Where the bake's time went: each phase's AWS-time end, when the tool saw it, its calls. */
  timeline: string;
  ms: number;
  /** Spawn → first API request: real process start-up, which compression does not shrink. */
  startupMs: number;
  ec2Calls: number;
  launched: number;
  amiId: string;
}

function ec2Since(cloud: BenchCloud, since: number, startedAt: number) {
  const calls = cloud.lc.logs.calls.query({ service: 'ec2', since });
  const first = cloud.lc.logs.calls.query({ since })[0]?.ts ?? startedAt;
  return {
    calls: calls.length,
    launched: calls.filter((c) => c.operation === 'RunInstances' && c.status === 200).length,
    startupMs: first - startedAt,
  };
}

/**
 * Samples the builder's and the image's state every 5 ms while a bake runs (localcloud keeps no
 * history of transitions), so each phase's end can be set against the tool's next call.
 */
function watchPhases(cloud: BenchCloud): () => Map<string, number> {
  const r = cloud.lc.world.region(REGION).ec2;
  const before = new Set([...r.instances.keys(), ...r.images.keys()]);
  const seen = new Map<string, number>();
  const mark = (what: string) => void (seen.has(what) || seen.set(what, Date.now()));
  const timer = setInterval(() => {
    for (const i of r.instances.values()) if (!before.has(i.instanceId)) mark(`instance ${i.state}`);
    for (const i of r.images.values()) if (!before.has(i.imageId)) mark(`image ${i.state}`);
  }, 5);
  return () => {
    clearInterval(timer);
    return seen;
  };
}

/**
 * One line: each phase's end in AWS time from the tool's first request (start-up left out), how
 * late the tool's next call came after it, and the EC2 calls per phase.
 */
function timelineOf(cloud: BenchCloud, since: number, startedAt: number, seen: Map<string, number>): string {
  const calls = cloud.lc.logs.calls.query({ service: 'ec2', since });
  const t0 = cloud.lc.logs.calls.query({ since })[0]?.ts ?? startedAt;
  const aws = (ms: number) => `${((ms * COMPRESSION) / 1000).toFixed(1)} s`;
  const at = (op: string) => calls.find((c) => c.operation === op)?.ts;
  const nextCall = (after: number | undefined) => calls.find((c) => after !== undefined && c.ts >= after)?.ts;
  const ends: [string, number | undefined][] = [
    ['launch', at('RunInstances')],
    ['running', seen.get('instance running')],
    ['stopping', seen.get('instance stopping')],
    ['stopped', seen.get('instance stopped')],
    ['image created', at('CreateImage')],
    ['available', seen.get('image available')],
  ];
  const line = ends.map(([what, ts]) => {
    if (ts === undefined) return `${what} ?`;
    const next = what === 'stopped' || what === 'available' ? nextCall(ts) : undefined;
    return `${what} +${aws(ts - t0)}${next !== undefined ? ` (seen +${aws(next - ts)})` : ''}`;
  });
  const between = (from?: number, to?: number) =>
    calls.filter((c) => (from === undefined || c.ts >= from) && (to === undefined || c.ts < to)).length;
  const launch = at('RunInstances');
  const created = at('CreateImage');
  const available = nextCall(seen.get('image available'));
  const counts = `calls: ${between(undefined, launch)} before launch, ${between(launch, created)} to CreateImage, ${between(created, available)} imaging, ${between(available)} after`;
  return `${line.join(', ')}; ${counts}`;
}

/** Builders still alive or images still pending: a bake must leave neither. */
function leftovers(cloud: BenchCloud): string[] {
  const r = cloud.lc.world.region(REGION).ec2;
  return [
    ...[...r.instances.values()]
      .filter((i) => !['terminated', 'shutting-down'].includes(i.state))
      .map((i) => `${i.instanceId} ${i.state}`),
    ...[...r.images.values()].filter((i) => i.state === 'pending').map((i) => `${i.imageId} pending`),
  ];
}

async function bakeAmi(
  cloud: BenchCloud,
  workdir: string,
  sourceAmi: string,
  label: string,
  extra: Record<string, string> = {},
): Promise<Bake & { reused: boolean }> {
  const since = cloud.mark();
  const t = Date.now();
  const watched = watchPhases(cloud);
  const r = await runStep(label, 'bake-ami', {
    env: { ...cloud.env(REGION), GOLDEN_AMI_TIME_SCALE: String(1 / COMPRESSION) },
    workdir,
    inputs: {
      name: 'bench-web',
      'source-ami': sourceAmi,
      'user-data-file': 'image/linux/user-data.sh',
      'instance-type': INSTANCE_TYPE,
      'poll-interval': String(10 / COMPRESSION),
      ...extra,
    },
    timeoutMs: 300_000,
    // The runner runs post steps at the end of the job, not as part of the bake: timed without it
    // (the main step terminates its builder itself; leftovers() checks).
    post: false,
  });
  const ms = Date.now() - t;
  const seen = watched();
  if (r.exitCode !== 0) throw new Error(`${label} failed: ${firstError(r)}`);
  const c = ec2Since(cloud, since, t);
  return {
    timeline: timelineOf(cloud, since, t, seen),
    ms,
    startupMs: c.startupMs,
    ec2Calls: c.calls,
    launched: c.launched,
    amiId: r.outputs['ami-id'] ?? '',
    reused: r.outputs.reused === 'true',
  };
}

function packerBuild(cloud: BenchCloud, dir: string, sourceAmi: string): Promise<Bake> {
  const template = {
    builders: [
      {
        type: 'amazon-ebs',
        region: REGION,
        access_key: CREDENTIALS.accessKeyId,
        secret_key: CREDENTIALS.secretAccessKey,
        custom_endpoint_ec2: cloud.url,
        skip_region_validation: true,
        skip_credential_validation: true,
        skip_metadata_api_check: true,
        source_ami: sourceAmi,
        instance_type: INSTANCE_TYPE,
        ami_name: 'bench-web-packer-{{timestamp}}',
        communicator: 'none',
        user_data_file: join(repoRoot, 'image/linux/user-data.sh'),
        // The user data powers the builder off when provisioning is done; Packer then waits for
        // `stopped` instead of stopping it at once (which would image an unprovisioned machine).
        disable_stop_instance: true,
      },
    ],
  };
  const file = join(dir, 'template.json');
  writeFileSync(file, JSON.stringify(template));
  const since = cloud.mark();
  const t = Date.now();
  const watched = watchPhases(cloud);
  return new Promise((resolve, reject) => {
    execFile(
      PACKER,
      ['build', '-machine-readable', file],
      {
        cwd: dir,
        timeout: 300_000,
        maxBuffer: 16 * 1024 * 1024,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: dir,
          CHECKPOINT_DISABLE: '1',
          PACKER_CACHE_DIR: join(dir, 'cache'),
          AWS_POLL_DELAY_SECONDS: String(Math.max(1, Math.round(15 / COMPRESSION))),
          AWS_MAX_ATTEMPTS: '600',
        },
      },
      (err, stdout) => {
        const ms = Date.now() - t;
        const seen = watched();
        if (err) return reject(new Error(`packer build failed: ${err.message}\n${stdout.slice(-3000)}`));
        const artifact = stdout
          .split('\n')
          .find((l) => l.split(',')[2] === 'artifact' && l.split(',')[4] === 'id');
        const amiId = artifact?.split(',')[5]?.split('%!(PACKER_COMMA)')[0]?.split(':')[1] ?? '';
        const c = ec2Since(cloud, since, t);
        resolve({
          timeline: timelineOf(cloud, since, t, seen),
          ms,
          startupMs: c.startupMs,
          ec2Calls: c.calls,
          launched: c.launched,
          amiId,
        });
      },
    );
  });
}

export async function bake(opts: BenchOptions): Promise<Omit<Section, 'ms'>> {
  const cloud = await startCloud({ seed: opts.seed, durations });
  const dir = mkdtempSync(join(tmpdir(), 'gaa-bench-bake-'));
  cpSync(join(repoRoot, 'image'), join(dir, 'image'), { recursive: true });
  try {
    const source = await cloud.ssm(REGION).send(new GetParameterCommand({ Name: AL2023_PARAMETER }));
    const sourceAmi = source.Parameter!.Value!;
    const ours = await bakeAmi(cloud, dir, sourceAmi, 'bake');
    const oursLeft = leftovers(cloud);
    const packer = await packerBuild(cloud, dir, sourceAmi);
    const packerLeft = leftovers(cloud);
    if (oursLeft.length || packerLeft.length)
      throw new Error(
        `bake left ${oursLeft.join(', ') || 'nothing'}; packer left ${packerLeft.join(', ') || 'nothing'}`,
      );
    for (const [who, b] of [
      ['bake-ami', ours],
      ['packer', packer],
    ] as const) {
      const image = cloud.lc.world.region(REGION).ec2.images.get(b.amiId);
      if (image?.state !== 'available')
        throw new Error(`${who}: AMI ${b.amiId || '(none)'} is not available`);
    }
    const again = await bakeAmi(cloud, dir, sourceAmi, 'bake (no change)');
    if (!again.reused || again.amiId !== ours.amiId)
      throw new Error(`the no-change rebake did not reuse ${ours.amiId}`);
    // Packer has no notion of "nothing changed": its rebake is a full bake, and a second timing
    // sample; bake-ami gets its second sample with reuse off (timed in the full run only).
    const packerAgain = opts.quick ? packer : await packerBuild(cloud, dir, sourceAmi);
    const oursSamples = opts.quick
      ? [ours]
      : [ours, await bakeAmi(cloud, dir, sourceAmi, 'bake (reuse off)', { 'reuse-if-unchanged': 'false' })];
    const packerSamples = opts.quick ? [packer] : [packer, packerAgain];

    // In AWS time: everything but process start-up runs COMPRESSION× slower there.
    const overheadOf = (b: Bake) =>
      Math.max(0, (b.ms - b.startupMs - INTRINSIC_MS) * COMPRESSION + b.startupMs);
    const oursOverhead = median(oursSamples.map(overheadOf));
    const packerOverhead = median(packerSamples.map(overheadOf));
    const s = (ms: number) => Math.round(ms / 100) / 10;
    for (const [who, b] of [
      ...oursSamples.map((b) => ['bake-ami', b] as const),
      ...packerSamples.map((b) => ['packer', b] as const),
    ]) {
      opts.log(`  bake sample (${who}): ${b.ms} ms wall, ${b.startupMs} ms start-up`);
      opts.log(`    ${who} (AWS time): ${b.timeline}`);
    }
    opts.log(
      `  bake: intrinsic ${INTRINSIC_MS} ms; bake-ami ${ours.ms} ms (start-up ${ours.startupMs}), ${ours.ec2Calls} EC2 calls; packer ${packer.ms} ms (start-up ${packer.startupMs}), ${packer.ec2Calls} EC2 calls`,
    );
    const peerName = 'Packer 1.6.6';
    return {
      name: `bake-ami vs Packer (time ${COMPRESSION}× compressed)`,
      figures: [
        {
          metric: 'bake: overhead beyond boot + provision + stop + imaging (AWS time)',
          ours: s(oursOverhead),
          peer: s(packerOverhead),
          peerName,
          unit: 's',
          ratio: ratio(oursOverhead, packerOverhead),
          note: `median of ${oursSamples.length} and ${packerSamples.length}; intrinsic ${s(INTRINSIC_MS * COMPRESSION)} s; first bake as run (${COMPRESSION}× compressed) ${ours.ms} vs ${packer.ms} ms wall`,
          target: '≤ 0.25 × Packer',
          met: oursOverhead <= packerOverhead / 4,
        },
        {
          metric: 'bake: EC2 API calls',
          ours: ours.ec2Calls,
          peer: packer.ec2Calls,
          peerName,
          ratio: ratio(ours.ec2Calls, packer.ec2Calls),
          target: 'fewer than Packer',
          met: ours.ec2Calls < packer.ec2Calls,
        },
        {
          metric: 'no-change rebake: wall time',
          ours: again.ms / 1000,
          peer: packerAgain.ms / 1000,
          peerName: opts.quick ? `${peerName} (first bake; --quick skips its rebake)` : peerName,
          unit: 's',
          ratio: ratio(again.ms, packerAgain.ms),
        },
        {
          metric: 'no-change rebake: instances launched',
          ours: again.launched,
          peer: packerAgain.launched,
          peerName,
          target: '0',
          met: again.launched === 0,
        },
      ],
    };
  } finally {
    await cloud.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
