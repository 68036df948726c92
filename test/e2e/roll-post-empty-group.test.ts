// roll-asg cancelled while one of its groups has no instances: that group's refresh has nothing to
// replace, ends Successful and leaves the group naming the run's new version. The post step has
// no instance to refresh back there, so it must put the group on the version it ran before it
// deletes the run's version — otherwise the version is kept ("the group names it") and the group
// stays on the new AMI. Through dist/ against localcloud, with the runner-like cancel and post step.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { AutoScalingClient, DescribeInstanceRefreshesCommand } from '@aws-sdk/client-auto-scaling';
import { localcloudEnv, runActionStep } from '../harness/run-action.js';
import { asgRegionOf } from '../localcloud/aws/autoscaling-platform.js';
import { seedGroup } from '../localcloud/aws/autoscaling-seed.js';
import { start } from '../localcloud/index.js';
import { CREDENTIALS } from './brownfield.js';

jest.setTimeout(240_000);

const REGION = 'us-east-1';
const GROUPS = [
  { name: 'empty-web', desired: 0 },
  { name: 'busy-web', desired: 2 },
];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let lc: Awaited<ReturnType<typeof start>>;
const templates: string[] = [];

beforeAll(async () => {
  lc = await start({ port: 0, seed: 77 });
  for (const g of GROUPS)
    templates.push(
      seedGroup(lc.world, REGION, {
        name: g.name,
        desired: g.desired,
        min: 0,
        max: 4,
        targetGroup: false,
        tags: { Environment: 'empty' },
        consent: '/golden-ami/empty',
      }).launchTemplateId,
    );
  const groups = asgRegionOf(lc.world.region(REGION)).groups;
  const ready = () =>
    [...groups.get('busy-web')!.instances.values()].filter((i) => i.lifecycle === 'InService').length === 2;
  for (let i = 0; i < 600 && !ready(); i++) await sleep(100);
  expect(ready()).toBe(true);
});

afterAll(async () => {
  await lc?.stop();
});

/** Each group's launch source as written, its instances' AMIs, and its template's versions. */
function observe() {
  const region = lc.world.region(REGION);
  const groups = asgRegionOf(region).groups;
  return GROUPS.map((x, i) => {
    const g = groups.get(x.name)!;
    const amis = [...g.instances.keys()].map((id) => region.ec2.instances.get(id)?.imageId ?? id);
    return {
      config: g.config,
      amis,
      versions: [...region.ec2.launchTemplates.get(templates[i]!)!.versions.keys()],
    };
  });
}

async function refreshEnded(group: string): Promise<string | undefined> {
  const asg = new AutoScalingClient({ region: REGION, endpoint: lc.url, credentials: CREDENTIALS });
  try {
    for (let i = 0; i < 300; i++) {
      const out = await asg.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: group }));
      const status = out.InstanceRefreshes?.[0]?.Status;
      if (status && !['Pending', 'InProgress'].includes(status)) return status;
      await sleep(100);
    }
    return undefined;
  } finally {
    asg.destroy();
  }
}

describe('roll-asg cancelled with a group of no instances whose refresh ended', () => {
  it('the post step puts that group back on its version and deletes the run’s version', async () => {
    const before = observe();
    const newAmi = lc.world.region(REGION).ec2.images.size
      ? [...lc.world.region(REGION).ec2.images.values()].find((i) => i.imageId !== before[1]!.amis[0])!
          .imageId
      : '';
    const workdir = mkdtempSync(join(tmpdir(), 'gaa-empty-group-'));
    try {
      const r = await runActionStep('roll-asg', {
        workdir,
        inputs: {
          'asg-tags': 'Environment=empty',
          'consent-parameter': '/golden-ami/empty',
          'ami-id': newAmi,
          wait: 'true',
          'poll-interval': '0.3',
        },
        env: localcloudEnv(lc.url, REGION),
        // Cancelled once the wait has seen the empty group's refresh end (the busy one still runs).
        cancel: { whenOutput: /empty-web: Successful/, sigtermAfterMs: 2000, killAfterMs: 1000 },
        // The empty group's refresh has ended Successful before the post step looks.
        beforePost: async () => {
          expect(await refreshEnded('empty-web')).toBe('Successful');
        },
      });
      expect(r.exitCode === 0).toBe(false);
      expect(`${r.post?.exitCode}\n${r.post?.log.slice(-3000)}`).toMatch(/^0\n/);
      expect(observe()).toEqual(before);
    } finally {
      rmSync(workdir, { recursive: true, force: true });
    }
  });
});
