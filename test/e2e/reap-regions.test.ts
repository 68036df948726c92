// Reaping never deletes a live instance's target, wherever the instance runs: reap-octopus-orphans
// and deploy-ami's reap through dist/, against localcloud, with targets registered from a second
// region. An instance is not-found only when absent from the region its target's address names,
// or else from every region enabled for the account.
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { localcloudEnv, runActionStep } from '../harness/run-action.js';
import { start, type Localcloud } from '../localcloud/index.js';
import { DEFAULT_API_KEY } from '../localcloud/octopus/auth.js';
import { baseImageId } from '../localcloud/seed.js';
import { clientConfig } from '../localcloud/test-support.js';
import { REGION, seedFleet, type Fleet } from '../workflow/fleet.js';
import { startCloud, type Cloud } from './reap-cloud.js';

jest.setTimeout(180_000);

const AL2023 = 'al2023-ami-2023.6.20241111.0-kernel-6.1-x86_64';
const gone = (n: number) => `i-${(0xdead0000 + n).toString(16).padStart(17, '0')}`;
const tentacle = (host: string) => `https://${host}:10933/`;
const names = (json: string | undefined) =>
  (JSON.parse(json ?? '[]') as Array<{ name: string }>).map((r) => r.name).sort();

describe('reap-octopus-orphans across regions', () => {
  let cloud: Cloud;
  beforeAll(async () => {
    cloud = await startCloud();
  });
  afterAll(async () => cloud.stopCloud());
  beforeEach(() => cloud.reset());

  it('keeps the targets of live instances in a region nobody listed and deletes the genuine orphan', async () => {
    const east = await cloud.launch(2, 'us-east-1');
    const west = await cloud.launch(3, 'us-west-2');
    cloud.octopus.addMachines([
      ...[...east, ...west].map((id) => ({ name: id, environments: ['Production'] })),
      { name: gone(1), environments: ['Production'] },
    ]);
    const r = await runActionStep('reap-octopus-orphans', {
      env: cloud.env('us-east-1'),
      inputs: { environments: 'Production' },
    });
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(names(r.outputs.reaped)).toEqual([gone(1)]);
    expect(cloud.octopusDeletes()).toEqual([gone(1)]);
    expect(r.outputs['kept-count']).toBe('5');
    // One DescribeRegions, then every enabled region asked about what us-east-1 did not have.
    expect(cloud.describeRegionsCalls()).toBe(1);
    expect(cloud.regionsAsked()).toHaveLength(10);
    expect(r.summary).toMatch(/not-found.*no instance i-0+dead0001 in any of the 10 regions enabled/);
  });

  it('checks a target whose address names us-west-2 there, and only there', async () => {
    const west = await cloud.launch(2, 'us-west-2');
    const [liveDns] = await cloud.privateDns([west[0]!], 'us-west-2');
    expect(liveDns).toMatch(/^ip-[\d-]+\.us-west-2\.compute\.internal$/);
    cloud.octopus.addMachines([
      { name: `web-${west[0]}`, environments: ['Production'], uri: tentacle(liveDns!) },
      {
        name: `web-${gone(2)}`,
        environments: ['Production'],
        uri: tentacle('ip-10-9-9-9.us-west-2.compute.internal'),
      },
      {
        name: `web-${gone(3)}`,
        environments: ['Production'],
        uri: tentacle('ec2-54-9-9-9.us-west-2.compute.amazonaws.com'),
      },
    ]);
    const r = await runActionStep('reap-octopus-orphans', {
      env: cloud.env('us-east-1'),
      inputs: { environments: 'Production', 'max-reap-percent': '100' },
    });
    expect(r.errors).toEqual([]);
    expect(names(r.outputs.reaped)).toEqual([`web-${gone(2)}`, `web-${gone(3)}`]);
    expect(cloud.regionsAsked()).toEqual(['us-east-1', 'us-west-2']);
    expect(r.summary).toContain("in us-west-2, the region its target's address names");
    expect(cloud.octopusDeletes().sort()).toEqual([`web-${gone(2)}`, `web-${gone(3)}`]);
  });

  it('matched by private-dns, finds an us-west-2 instance by its name from a us-east-1 step', async () => {
    const west = await cloud.launch(1, 'us-west-2');
    const [dns] = await cloud.privateDns(west, 'us-west-2');
    cloud.octopus.addMachines([
      { name: 'web-a', environments: ['Production'], uri: tentacle(dns!) },
      { name: 'web-b', environments: ['Production'], uri: tentacle('ip-10-9-9-8.ec2.internal') },
    ]);
    const r = await runActionStep('reap-octopus-orphans', {
      env: cloud.env('us-east-1'),
      inputs: { environments: 'Production', 'match-by': 'private-dns', 'max-reap-percent': '100' },
    });
    expect(r.errors).toEqual([]);
    expect(names(r.outputs.reaped)).toEqual(['web-b']);
    expect(cloud.regionsAsked()).toEqual(['us-east-1', 'us-west-2']);
  });
});

describe('deploy-ami reaps across regions', () => {
  let lc: Localcloud;
  let fleet: Fleet;
  let west: { id: string; dns: string }[];

  beforeAll(async () => {
    lc = await start({ port: 0, seed: 47 });
    fleet = await seedFleet(lc);
    // The same environment's instances in a second region, registered as production targets: two
    // by instance id only, one with its tentacle at its us-west-2 private DNS name.
    const ec2 = new EC2Client(clientConfig(lc, 'us-west-2'));
    const run = await ec2.send(
      new RunInstancesCommand({ ImageId: baseImageId('us-west-2', AL2023), MinCount: 3, MaxCount: 3 }),
    );
    const ids = run.Instances!.map((i) => i.InstanceId!);
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
    const dns = new Map(
      out.Reservations!.flatMap((r) => r.Instances!).map((i) => [i.InstanceId!, i.PrivateDnsName!]),
    );
    ec2.destroy();
    west = ids.map((id) => ({ id, dns: dns.get(id)! }));
    lc.octopus.addMachines(
      west.map((w, i) => ({
        name: w.id,
        environments: ['production'],
        roles: ['web'],
        ...(i === 0 ? { uri: tentacle(w.dns) } : {}),
      })),
    );
  });
  afterAll(async () => {
    fleet.stop();
    await lc.stop();
  });

  it('deletes the orphan and the replaced instances’ targets, and none of the live second-region ones', async () => {
    const target = baseImageId(REGION, AL2023);
    const r = await runActionStep('deploy-ami', {
      inputs: {
        'ami-id': target,
        'parameter-name': '/golden-ami/web',
        environment: 'production',
        reap: true,
        // Amazon's base image: not one this pipeline baked.
        'allow-foreign-ami': true,
        'poll-interval': '0.3',
      },
      env: {
        ...localcloudEnv(lc.url, REGION),
        OCTOPUS_URL: `${lc.url}/octopus`,
        OCTOPUS_API_KEY: DEFAULT_API_KEY,
      },
    });
    expect(r.errors).toEqual([]);
    expect(r.outputs.status).toBe('healthy');
    const deleted = lc.octopus.logs.mutations
      .filter((m) => m.operation === 'machines.delete')
      .map((m) => (m.params as { Name?: string }).Name ?? '');
    expect(deleted).toContain(fleet.orphans.production![0]);
    for (const w of west) expect(deleted).not.toContain(w.id);
    const left = [...lc.octopus.state.machines.values()].map((m) => m.Name);
    for (const w of west) expect(left).toContain(w.id);
    expect(r.outputs['reaped-count']).toBe(String(deleted.length));
    // The named target was checked in us-west-2; the others, not found in us-east-1, everywhere.
    const westCalls = lc.logs.calls.query({
      service: 'ec2',
      operation: 'DescribeInstances',
      region: 'us-west-2',
    });
    expect(westCalls.length).toBeGreaterThan(0);
    expect(lc.logs.calls.query({ service: 'ec2', operation: 'DescribeRegions' }).length).toBeGreaterThan(0);
  });
});
