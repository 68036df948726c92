// roll-asg's post step after a cancelled roll of enough groups that its journal is over the 128 KiB
// Linux allows one environment variable: the runner hands a post step its state as STATE_*
// variables, so the journal lives in a file under RUNNER_TEMP and only its directory goes through
// state. Through dist/ against localcloud, with the harness's runner-like cancel (SIGINT, SIGTERM,
// SIGKILL) and post step.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { CopyImageCommand, DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { localcloudEnv, runActionStep } from '../harness/run-action.js';
import { asgRegionOf } from '../localcloud/aws/autoscaling-platform.js';
import { seedGroup } from '../localcloud/aws/autoscaling-seed.js';
import { start } from '../localcloud/index.js';

jest.setTimeout(240_000);

const REGION = 'us-east-1';
const GROUPS = 360;
/** Long names (a template's is the group's plus `-lt`, within 128), so fewer groups fill the journal. */
const name = (i: number) => `large-journal-${String(i).padStart(3, '0')}-${'x'.repeat(96)}`;
const credentials = {
  accessKeyId: 'AKIALOCALCLOUD000000',
  secretAccessKey: 'localcloud-secret-key-do-not-use-000000',
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let lc: Awaited<ReturnType<typeof start>>;
let oldAmi: string;
let newAmi: string;
const templates: string[] = [];

async function copyOf(ec2: EC2Client, base: string, imageName: string): Promise<string> {
  const { ImageId } = await ec2.send(
    new CopyImageCommand({ SourceImageId: base, SourceRegion: REGION, Name: imageName }),
  );
  for (;;) {
    const out = await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }));
    if (out.Images?.[0]?.State === 'available') return ImageId!;
    await sleep(100);
  }
}

beforeAll(async () => {
  lc = await start({ port: 0 });
  const ec2 = new EC2Client({ region: REGION, endpoint: lc.url, credentials });
  const ssm = new SSMClient({ region: REGION, endpoint: lc.url, credentials });
  const base = (
    await ssm.send(
      new GetParameterCommand({
        Name: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
      }),
    )
  ).Parameter!.Value!;
  oldAmi = await copyOf(ec2, base, 'large-1');
  newAmi = await copyOf(ec2, base, 'large-2');
  ec2.destroy();
  ssm.destroy();
  for (let i = 0; i < GROUPS; i++) {
    const g = seedGroup(lc.world, REGION, {
      name: name(i),
      imageId: oldAmi,
      desired: 1,
      targetGroup: false,
      tags: { Environment: 'large' },
      consent: '/golden-ami/large',
    });
    templates.push(g.launchTemplateId);
  }
  // Every group's instance in service on the old AMI before the roll (a refresh started before
  // that has nothing to replace).
  const groups = asgRegionOf(lc.world.region(REGION)).groups;
  const inService = () =>
    [...groups.values()].every((g) => [...g.instances.values()].some((i) => i.lifecycle === 'InService'));
  for (let i = 0; i < 600 && !inService(); i++) await sleep(100);
  expect(inService()).toBe(true);
}, 120_000);

afterAll(async () => {
  await lc?.stop();
});

/** Each group's launch source as written, its instances' AMIs, and its template's versions. */
function observe() {
  const region = lc.world.region(REGION);
  const groups = asgRegionOf(region).groups;
  return templates.map((id, i) => {
    const g = groups.get(name(i))!;
    const amis = [...g.instances.keys()].map((x) => region.ec2.instances.get(x)?.imageId ?? x);
    return { config: g.config, amis, versions: [...region.ec2.launchTemplates.get(id)!.versions.keys()] };
  });
}

describe('roll-asg cancelled over a journal larger than one environment variable', () => {
  it('the post step reads the journal from its file and puts every group back', async () => {
    const before = observe();
    const workdir = mkdtempSync(join(tmpdir(), 'gaa-large-journal-'));
    let journalBytes = 0;
    try {
      const r = await runActionStep('roll-asg', {
        workdir,
        inputs: {
          'asg-tags': 'Environment=large',
          'consent-parameter': '/golden-ami/large',
          'ami-id': newAmi,
          wait: 'true',
          'poll-interval-seconds': '0.3',
        },
        env: localcloudEnv(lc.url, REGION),
        cancel: { whenOutput: /started instance refresh/, sigtermAfterMs: 2000, killAfterMs: 1000 },
        beforePost: (main) => {
          // Only the directory goes through state; the journal is a file in it, under RUNNER_TEMP.
          expect(Object.keys(main.state)).toEqual(['state-dir']);
          const dir = main.state['state-dir']!;
          expect(dir.startsWith(join(workdir, '_temp'))).toBe(true);
          const journal = join(dir, 'deploy-journal');
          journalBytes = statSync(journal).size;
          expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
          expect((JSON.parse(readFileSync(journal, 'utf8')) as { groups: unknown[] }).groups).toHaveLength(
            GROUPS,
          );
          return Promise.resolve();
        },
      });
      expect(journalBytes).toBeGreaterThan(128 * 1024);
      expect(r.exitCode === 0).toBe(false);
      expect({ post: r.post?.exitCode, log: r.post?.log.slice(-2000) }).toMatchObject({ post: 0 });
      expect(r.post?.log).toMatch(/did not finish: putting back/);
      expect(r.post?.log).toMatch(/is as it was before the run/);
      expect(observe()).toEqual(before);
    } finally {
      rmSync(workdir, { recursive: true, force: true });
    }
  });
});
