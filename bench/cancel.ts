// bake-ami cancelled as the runner cancels (SIGINT, SIGTERM 7.5 s later, SIGKILL 2.5 s after that,
// then the post step) at seeded random moments across a whole bake, copy included. Whatever a
// cancelled bake made must be gone once its post step ran: no live builder, no pending image, and
// (stricter than the issue asks) no image or snapshot left in any region.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../test/harness/action-metadata.js';
import { Rng } from '../test/localcloud/rng.js';
import { startCloud, type BenchCloud } from './cloud.js';
import { median, type BenchOptions, type Section } from './report.js';
import { firstError, runStep } from './steps.js';

const REGIONS = ['us-east-1', 'eu-west-1'];
const INPUTS = {
  name: 'bench-cancel',
  'source-ami': 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
  'user-data': '#!/bin/bash\necho provisioning\nshutdown -h now',
  'copy-to-regions': 'eu-west-1',
  'poll-interval': '0.1',
  // Every run must bake (not reuse the first run's AMI) and own its leftovers (no janitor).
  'reuse-if-unchanged': 'false',
  janitor: 'false',
};

interface Inventory {
  instances: Map<string, string>;
  images: Map<string, string>;
  snapshots: Set<string>;
}

function inventory(cloud: BenchCloud): Inventory {
  const inv: Inventory = { instances: new Map(), images: new Map(), snapshots: new Set() };
  for (const name of REGIONS) {
    const r = cloud.lc.world.region(name).ec2;
    for (const i of r.instances.values()) inv.instances.set(i.instanceId, i.state);
    for (const i of r.images.values()) inv.images.set(i.imageId, i.state);
    for (const s of r.snapshots.values()) inv.snapshots.add(s.snapshotId);
  }
  return inv;
}

interface Leaks {
  instances: string[];
  pendingImages: string[];
  images: string[];
  snapshots: string[];
}

/** What this run created and left: compares the world now with the world before it. */
function leaks(before: Inventory, after: Inventory): Leaks {
  const fresh = <T>(m: Map<string, T> | Set<string>, old: Map<string, T> | Set<string>) =>
    [...m.keys()].filter((k) => !old.has(k));
  const instances = fresh(after.instances, before.instances).filter(
    (id) => !['terminated', 'shutting-down'].includes(after.instances.get(id)!),
  );
  const images = fresh(after.images, before.images);
  return {
    instances: instances.map((id) => `${id} ${after.instances.get(id)}`),
    pendingImages: images.filter((id) => after.images.get(id) === 'pending'),
    images: images.map((id) => `${id} ${after.images.get(id)}`),
    snapshots: fresh(after.snapshots, before.snapshots),
  };
}

type Engine = 'native' | 'packer';

/** The Packer engine with the shipped template, pointed at localcloud. */
function packerRun(cloud: BenchCloud, dir: string) {
  return {
    inputs: {
      ...INPUTS,
      'user-data': '',
      name: 'bench-cancel-packer',
      engine: 'packer',
      'packer-template': 'image/packer/golden-linux.json',
      'packer-vars': `custom_endpoint_ec2=${cloud.url}`,
    },
    env: {
      ...cloud.env(),
      CHECKPOINT_DISABLE: '1',
      PACKER_CACHE_DIR: join(dir, '_packer'),
      AWS_POLL_DELAY_SECONDS: '1',
      AWS_MAX_ATTEMPTS: '30',
    },
    workdir: dir,
  };
}

export async function cancel(opts: BenchOptions): Promise<Omit<Section, 'ms'>> {
  const native = await cancelEngine(opts, 'native', opts.quick ? 5 : 30);
  const packer = await cancelEngine(opts, 'packer', opts.quick ? 3 : 10);
  return { name: 'cancellation (bake-ami)', figures: [...native, ...packer] };
}

async function cancelEngine(opts: BenchOptions, engine: Engine, runs: number): Promise<Section['figures']> {
  const rng = new Rng(opts.seed);
  const cloud = await startCloud({ seed: opts.seed });
  const dir = mkdtempSync(join(tmpdir(), 'gaa-bench-cancel-'));
  cpSync(join(repoRoot, 'image'), join(dir, 'image'), { recursive: true });
  const run =
    engine === 'packer' ? packerRun(cloud, dir) : { env: cloud.env(), inputs: INPUTS, workdir: dir };
  const label = engine === 'packer' ? ' [packer]' : '';
  try {
    // One bake left alone: how long a whole bake takes here, so moments cover all of it.
    const t = Date.now();
    const whole = await runStep(`cancel${label}: uncancelled bake`, 'bake-ami', run);
    const wholeMs = Date.now() - t;
    if (whole.exitCode !== 0) throw new Error(`the uncancelled ${engine} bake failed: ${firstError(whole)}`);
    let cancelled = 0;
    let finished = 0;
    let postFailed = 0;
    const total: Leaks = { instances: [], pendingImages: [], images: [], snapshots: [] };
    const exitAfterSigint: number[] = [];
    for (let i = 0; i < runs; i++) {
      const at = Math.round(rng.next() * wholeMs);
      const before = inventory(cloud);
      const started = Date.now();
      const r = await runStep(`cancel${label} at ${at} ms`, 'bake-ami', { ...run, cancel: { afterMs: at } });
      const mainMs = Date.now() - started;
      if (r.exitCode === 0 && r.outputs['ami-id']) {
        finished++;
        continue;
      }
      cancelled++;
      if (r.post?.exitCode !== 0) postFailed++;
      // From SIGINT until main and its post step are both done.
      exitAfterSigint.push(Math.max(0, mainMs - at));
      const l = leaks(before, inventory(cloud));
      if (l.instances.length || l.images.length || l.snapshots.length)
        opts.log(`  cancel at ${at} ms left ${[...l.instances, ...l.images, ...l.snapshots].join(', ')}`);
      for (const k of Object.keys(total) as Array<keyof Leaks>) total[k].push(...l[k]);
    }
    opts.log(
      `  cancel${label}: ${cancelled} cancelled mid-bake, ${finished} finished first (a bake takes ${wholeMs} ms here)`,
    );
    const e = engine === 'packer' ? ' (engine: packer)' : '';
    return [
      {
        metric: `bake-ami${e} cancelled at ${runs} seeded moments: cancelled mid-bake`,
        ours: cancelled,
        note: `${finished} finished before their moment; a whole bake took ${wholeMs} ms`,
      },
      {
        metric: `leaked builder instances${e}`,
        ours: total.instances.length,
        target: '0',
        met: total.instances.length === 0,
      },
      {
        metric: `leaked pending images${e}`,
        ours: total.pendingImages.length,
        target: '0',
        met: total.pendingImages.length === 0,
      },
      {
        metric: `images left by cancelled bakes (any state, both regions)${e}`,
        ours: total.images.length,
        target: '0',
        met: total.images.length === 0,
      },
      {
        metric: `snapshots left by cancelled bakes${e}`,
        ours: total.snapshots.length,
        target: '0',
        met: total.snapshots.length === 0,
      },
      { metric: `post steps that failed${e}`, ours: postFailed, target: '0', met: postFailed === 0 },
      {
        metric: `SIGINT → step done, main and post (median)${e}`,
        ours: Math.round(median(exitAfterSigint)),
        unit: 'ms',
        note: `max ${Math.round(Math.max(0, ...exitAfterSigint))} ms; the runner sends SIGTERM at 7500 ms`,
      },
    ];
  } finally {
    await cloud.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
