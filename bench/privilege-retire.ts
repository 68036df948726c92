// The least-privilege scenarios of retire-amis: both stages, every read it makes (group templates
// resolved through SSM, parameter labels, launch permissions) and every change (unprotect, disable,
// deprecate, tag, re-enable, deregister, delete snapshots), under exactly its iam-policy.json.
import { seedGroup } from '../test/localcloud/aws/autoscaling-seed.js';
import { seedParameter } from '../test/localcloud/aws/ssm-parameters.js';
import { seedImage } from '../test/localcloud/seed.js';
import type { BenchCloud } from './cloud.js';
import type { Scenario, ScenarioEnv } from './privilege-scenarios.js';
import { firstError, runStep } from './steps.js';

const REGION = 'us-east-1';
const DAY = 86_400_000;

function baked(cloud: BenchCloud, name: string, index: number) {
  const region = cloud.lc.world.region(REGION);
  const image = seedImage(region, {
    name: `${name}-${index}`,
    creationDate: cloud.lc.world.clock.now() - (60 - index) * DAY,
    tags: [
      { Key: 'golden-ami:name', Value: name },
      { Key: 'golden-ami:bake-id', Value: `${name}-${index}` },
    ],
  });
  region.ec2.snapshots
    .get(image.blockDeviceMappings[0]!.Ebs!.SnapshotId!)!
    .tags.push(
      { Key: 'golden-ami:bake-id', Value: `${name}-${index}` },
      { Key: 'golden-ami:name', Value: name },
    );
  return image;
}

async function retire(env: ScenarioEnv, label: string, inputs: Record<string, string>) {
  env.enforce(true);
  try {
    return await runStep(`least privilege: ${label}`, 'retire-amis', {
      env: env.cloud.env(REGION),
      inputs: {
        'keep-count': '1',
        'keep-for': '0d',
        'max-retire': '10',
        'max-retire-percent': '100',
        ...inputs,
      },
      workdir: env.dir,
      timeoutMs: 120_000,
    });
  } finally {
    env.enforce(false);
  }
}

const count = (json: string | undefined) => (JSON.parse(json ?? '[]') as unknown[]).length;

export const RETIRE: Scenario[] = [
  {
    name: 'first stage: unprotect, disable, deprecate, tag; groups via resolve:ssm, labels, shares checked',
    async run(env) {
      const { cloud } = env;
      const images = Array.from({ length: 5 }, (_, i) => baked(cloud, 'api', i));
      images[0]!.deregistrationProtection = { cooldown: true };
      const region = cloud.lc.world.region(REGION);
      seedParameter(region, '/golden-ami/api', images[4]!.imageId, 'aws:ec2:image');
      region.ssm.parameters.get('/golden-ami/api')!.versions[0]!.labels.push('production');
      seedParameter(region, '/golden-ami/api/launch', images[3]!.imageId, 'aws:ec2:image');
      seedGroup(cloud.lc.world, REGION, {
        name: 'api',
        imageParameter: '/golden-ami/api/launch',
        desired: 0,
        targetGroup: false,
      });
      const r = await retire(env, 'retire first stage', { names: 'api', parameters: '/golden-ami/api' });
      if (r.exitCode !== 0) return `exit ${r.exitCode}: ${firstError(r).slice(0, 300)}`;
      const states = images.map((i) => i.state).join(',');
      if (states !== 'disabled,disabled,disabled,available,available') return `states ${states}`;
      return images[0]!.deregistrationProtection ? 'protection still on' : undefined;
    },
  },
  {
    name: 'second stage: deregister with the bake’s snapshots, re-enable one referenced again',
    async run(env) {
      const { cloud } = env;
      const images = Array.from({ length: 3 }, (_, i) => baked(cloud, 'api', i));
      const long = new Date(Date.now() - 30 * DAY).toISOString();
      for (const i of images.slice(0, 2)) {
        i.state = 'disabled';
        i.tags.push({ Key: 'golden-ami:disabled-at', Value: long });
      }
      seedGroup(cloud.lc.world, REGION, {
        name: 'api',
        imageId: images[1]!.imageId,
        desired: 0,
        targetGroup: false,
      });
      const snapshot = images[0]!.blockDeviceMappings[0]!.Ebs!.SnapshotId!;
      const r = await retire(env, 'retire second stage', { names: 'api' });
      if (r.exitCode !== 0) return `exit ${r.exitCode}: ${firstError(r).slice(0, 300)}`;
      if (count(r.outputs.retired) !== 1) return `retired ${r.outputs.retired}`;
      if (cloud.lc.world.region(REGION).ec2.snapshots.has(snapshot)) return `snapshot ${snapshot} left`;
      return images[1]!.state === 'available' ? undefined : `api-1 is ${images[1]!.state}`;
    },
  },
];
