// Retiring AMIs from a 1,000-AMI estate across 3 regions at +20 ms on every EC2 call: retire-amis
// (dry run: everything it reads and decides, nothing changed) against the per-AMI describe loop
// (bench/peers/retire-loop.ts), in the same localcloud, on the same estate. Calls are counted from
// localcloud's call log.
import { RunInstancesCommand } from '@aws-sdk/client-ec2';
import { seedImage } from '../test/localcloud/seed.js';
import { startCloud, type BenchCloud } from './cloud.js';
import { runPeer } from './peer.js';
import { ratio, type BenchOptions, type Section } from './report.js';
import { firstError, runStep } from './steps.js';

const LATENCY_MS = 20;
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
const DAY = 86_400_000;

/** `size` baked AMIs spread over the regions, every 25th one run by an instance. */
async function estate(cloud: BenchCloud, size: number): Promise<{ used: Set<string> }> {
  const used = new Set<string>();
  for (let i = 0; i < size; i++) {
    const region = REGIONS[i % REGIONS.length]!;
    const image = seedImage(cloud.lc.world.region(region), {
      name: `web-${i}`,
      creationDate: cloud.lc.world.clock.now() - (400 - (i % 300)) * DAY,
      tags: [
        { Key: 'golden-ami:name', Value: 'web' },
        { Key: 'golden-ami:bake-id', Value: `web-${i}` },
      ],
    });
    if (i % 25 === 0) {
      await cloud.ec2(region).send(
        new RunInstancesCommand({
          ImageId: image.imageId,
          InstanceType: 't3.micro',
          MinCount: 1,
          MaxCount: 1,
        }),
      );
      used.add(image.imageId);
    }
  }
  return { used };
}

const ec2Calls = (cloud: BenchCloud, since: number) =>
  cloud.lc.logs.calls.query({ since }).filter((c) => c.service === 'ec2').length;

export async function retire(opts: BenchOptions): Promise<Omit<Section, 'ms'>> {
  const size = opts.quick ? 150 : 1000;
  const cloud = await startCloud({ seed: opts.seed });
  try {
    const { used } = await estate(cloud, size);
    cloud.lc.faults.add({ service: 'ec2', kind: 'latency', latencyMs: LATENCY_MS });
    const scope = `${size} AMIs in ${REGIONS.length} regions, ${used.size} in use, +${LATENCY_MS} ms/call`;

    let since = cloud.mark();
    let t = Date.now();
    const ours = await runStep(`retire ${size}`, 'retire-amis', {
      env: cloud.env(),
      inputs: {
        names: 'web',
        regions: REGIONS.join(','),
        'keep-count': 1,
        'keep-for': '0d',
        'max-retire': size,
        'max-retire-percent': 100,
        'dry-run': 'true',
      },
      timeoutMs: 600_000,
    });
    const oursMs = Date.now() - t;
    if (ours.exitCode !== 0) throw new Error(`retire ${size} failed: ${firstError(ours)}`);
    const oursCalls = ec2Calls(cloud, since);
    const oursRetired = (JSON.parse(ours.outputs.disabled ?? '[]') as { imageId: string }[]).map(
      (x) => x.imageId,
    );
    opts.log(`  retire ${size}: ours ${oursMs} ms, ${oursCalls} EC2 calls, ${oursRetired.length} to disable`);

    since = cloud.mark();
    t = Date.now();
    const peer = await runPeer('retire-loop', {
      ...cloud.env(),
      PEER_REGIONS: REGIONS.join(','),
      PEER_NAME: 'web',
    });
    const peerMs = Date.now() - t;
    if (peer.exitCode !== 0) throw new Error(`retire peer failed: ${peer.stderr.slice(-1000)}`);
    const peerCalls = ec2Calls(cloud, since);
    const peerUnused = peer.report.unused as string[];
    opts.log(`  retire ${size}: peer ${peerMs} ms, ${peerCalls} EC2 calls, ${peerUnused.length} unused`);

    const wronglyOurs = oursRetired.filter((id) => used.has(id)).length;
    const wronglyPeer = peerUnused.filter((id) => used.has(id)).length;
    return {
      name: 'retire-amis',
      figures: [
        {
          metric: `${scope}: wall time (decide, dry run)`,
          ours: oursMs / 1000,
          peer: peerMs / 1000,
          peerName: 'per-AMI describe loop',
          unit: 's',
          ratio: ratio(oursMs, peerMs),
        },
        {
          metric: `${scope}: EC2 calls`,
          ours: oursCalls,
          peer: peerCalls,
          peerName: 'per-AMI describe loop',
          ratio: ratio(oursCalls, peerCalls),
        },
        {
          metric: `${scope}: AMIs in use marked for retirement`,
          ours: wronglyOurs,
          peer: wronglyPeer,
          peerName: 'per-AMI describe loop',
          target: '0',
          met: wronglyOurs === 0,
        },
      ],
    };
  } finally {
    await cloud.stop();
  }
}
