// A three-region estate for deploy-ami across regions (not a test file): in each of us-east-1,
// eu-west-1 and ap-southeast-2 the parameter labelled production on a base AMI and two groups on
// it (`api` follows $Latest), AMIs of increasing age (`bad` fails its health checks), every
// observable of every region read and diffed as deploy-regions.test.ts does.
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { LabelParameterVersionCommand, SSMClient } from '@aws-sdk/client-ssm';
import { localcloudEnv, runActionStep, type ActionRun, type RunOptions } from '../harness/run-action.js';
import { seedGroup } from '../localcloud/aws/autoscaling-seed.js';
import { start, type Localcloud } from '../localcloud/index.js';
import {
  diffFromBefore,
  settledSnapshot,
  snapshot,
  type Scope,
  type Snapshot,
} from '../support/observables.js';

export const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'] as const;
export type Region = (typeof REGIONS)[number];
export const PARAM = '/golden-ami/web';
export const ENV = 'production';
export const GROUPS = ['web', 'api'];
const hour = 3_600_000;
export const credentials = {
  accessKeyId: 'AKIALOCALCLOUD000000',
  secretAccessKey: 'localcloud-secret-key-do-not-use-000000',
};

export const story = (r: ActionRun) =>
  `${r.errors.join('\n')}\n${r.log.slice(-5000)}\n--- post\n${r.post?.log.slice(-2000) ?? ''}`;

const scopeOf = (lc: Localcloud, region: Region): Scope => ({
  url: lc.url,
  regions: [region],
  parameters: [PARAM],
  groups: GROUPS.map((name) => ({ region, name })),
  templates: GROUPS.map((name) => ({ region, name: `${name}-lt` })),
  instanceGroups: [],
  credentials,
});

export type Observed = Record<Region, Snapshot>;

export async function observeAll(lc: Localcloud, settled = false): Promise<Observed> {
  const out = {} as Observed;
  for (const r of REGIONS) out[r] = await (settled ? settledSnapshot : snapshot)(scopeOf(lc, r));
  return out;
}

export const diffAll = (before: Observed, after: Observed) =>
  REGIONS.flatMap((r) => diffFromBefore(before[r], after[r]).map((d) => `${r}: ${d}`));

/** The AMIs a region's groups run, sorted. */
export const fleetAmis = (s: Snapshot) =>
  [...new Set(Object.values(s.groups).flatMap((g) => g?.amis ?? []))].sort();

async function waitInService(lc: Localcloud, region: Region): Promise<void> {
  const asg = new AutoScalingClient({ region, endpoint: lc.url, credentials });
  try {
    for (let i = 0; i < 600; i++) {
      const d = await asg.send(new DescribeAutoScalingGroupsCommand({}));
      const ready = (d.AutoScalingGroups ?? []).every(
        (g) =>
          (g.Instances ?? []).filter((x) => x.LifecycleState === 'InService').length >= g.DesiredCapacity!,
      );
      if (ready) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${region}: groups never InService`);
  } finally {
    asg.destroy();
  }
}

export type Images = Record<Region, { base: string; good: string; bad: string; newer: string }>;

/** The parameter in `region` holding `ami` as version 1, labelled production. */
export async function seedParameter(lc: Localcloud, region: Region, ami: string): Promise<void> {
  lc.control.seed({ region, parameters: [{ name: PARAM, value: ami, dataType: 'aws:ec2:image' }] });
  const ssm = new SSMClient({ region, endpoint: lc.url, credentials });
  try {
    await ssm.send(new LabelParameterVersionCommand({ Name: PARAM, ParameterVersion: 1, Labels: [ENV] }));
  } finally {
    ssm.destroy();
  }
}

export async function estate(seed: number) {
  const lc = await start({ port: 0, seed });
  const now = Date.now();
  const images = {} as Images;
  for (const region of REGIONS) {
    const [base, good, bad, newer] = lc.control
      .seed({
        region,
        images: [
          { name: `base-${region}`, creationDate: now - 4 * hour },
          { name: `good-${region}`, creationDate: now - 3 * hour },
          { name: `bad-${region}`, creationDate: now - 2 * hour, health: 'unhealthy' },
          { name: `newer-${region}`, creationDate: now - hour },
        ],
      })
      .images.map((i) => i.imageId) as [string, string, string, string];
    images[region] = { base, good, bad, newer };
    await seedParameter(lc, region, base);
    for (const name of GROUPS)
      seedGroup(lc.world, region, {
        name,
        imageId: base,
        desired: 2,
        tags: { Environment: ENV },
        consent: PARAM,
        ...(name === 'api' ? { version: '$Latest' } : {}),
      });
  }
  for (const region of REGIONS) await waitInService(lc, region);
  const deploy = (inputs: Record<string, string | boolean>, opts: Partial<RunOptions> = {}) =>
    runActionStep('deploy-ami', {
      inputs: {
        environment: ENV,
        'parameter-name': PARAM,
        'poll-interval': '0.3',
        'max-poll-interval': '1',
        'unhealthy-grace': '2',
        timeout: '3m',
        ...inputs,
      },
      env: localcloudEnv(lc.url, 'us-east-1'),
      timeoutMs: 240_000,
      ...opts,
    });
  const amisOf = (pick: (i: Images[Region], r: Region) => string) =>
    JSON.stringify(Object.fromEntries(REGIONS.map((r) => [r, pick(images[r], r)])));
  return { lc, images, deploy, amisOf };
}
