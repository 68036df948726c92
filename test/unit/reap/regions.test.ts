// Where reap looks for each target's instance: the given regions first, then the region the
// target's address names (EC2 host names carry it), else every region enabled for the account;
// so a live instance in a region nobody listed never makes its target an orphan. Against
// localcloud's EC2 (ten enabled regions, three opt-in ones not enabled) and Octopus.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../harness/action-metadata.js';
import { isEc2PrivateDns, regionOfEc2Host } from '../../../src/reap/ec2-dns.js';
import { mapMachine } from '../../../src/reap/mapping.js';
import { reapOrphans, type ReapOptions } from '../../../src/reap/reap.js';
import type { OctopusMachine } from '../../../src/octopus/resources.js';
import {
  reapOptions,
  setupReap,
  startReapCloud,
  type InstanceSeed,
  type ReapCloud,
  type TargetSeed,
} from './cloud.js';

const id = (n: number) => `i-${n.toString(16).padStart(17, '0')}`;
const ENABLED = 10; // localcloud's enabled regions
const tentacle = (host: string) => ({
  CommunicationStyle: 'TentaclePassive' as const,
  Uri: `https://${host}:10933/`,
});

const options = (o: Partial<ReapOptions> = {}) => reapOptions({ maxReapPercent: 100, pageSize: 100, ...o });

let cloud: ReapCloud;
beforeAll(async () => {
  cloud = await startReapCloud();
});
afterAll(() => cloud.stop());

const setup = (targets: TargetSeed[], instances: InstanceSeed[]) => setupReap(cloud, targets, instances);

/** An SCP-like deny: every EC2 call outside the regions the organization allows. */
const DENY_OTHER_REGIONS = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['ec2:DescribeInstances', 'ec2:DescribeRegions'], Resource: '*' },
    {
      Effect: 'Deny',
      Action: 'ec2:*',
      Resource: '*',
      Condition: { StringNotEquals: { 'aws:RequestedRegion': ['us-east-1', 'us-west-2', 'eu-west-1'] } },
    },
  ],
};

const regionsAsked = () => [...new Set(cloud.describeCalls().map((c) => c.region))].sort();
const describeRegionsCalls = () => cloud.calls({ operation: 'DescribeRegions' }).length;

describe('the region an EC2 host name carries', () => {
  it.each([
    ['ip-10-0-0-1.ec2.internal', 'us-east-1'],
    ['ip-10-0-0-1.us-west-2.compute.internal', 'us-west-2'],
    ['i-0123456789abcdef0.eu-west-1.compute.internal', 'eu-west-1'],
    ['i-0123abcd.ec2.internal', 'us-east-1'],
    ['ec2-203-0-113-25.compute-1.amazonaws.com', 'us-east-1'],
    ['ec2-203-0-113-25.us-west-2.compute.amazonaws.com', 'us-west-2'],
    ['ec2-52-80-1-2.cn-north-1.compute.amazonaws.com.cn', 'cn-north-1'],
    ['ip-10-0-0-1.us-gov-west-1.compute.internal', 'us-gov-west-1'],
    ['IP-10-0-0-1.US-WEST-2.COMPUTE.INTERNAL.', 'us-west-2'],
  ])('%s names %s', (host, region) => {
    expect(regionOfEc2Host(host)).toBe(region);
  });

  it.each([
    'web-1.us-west-2.compute.internal',
    'ip-10-0-0-999.ec2.internal',
    'ip-10-0-0-1.us-west-2.compute.internal.evil.example',
    'ec2-203-0-113-25.us-west-2.compute.amazonaws.com.evil.example',
    'ip-10-0-0-1.compute.internal',
    'octopus-target-us-west-2.example.com',
    '10.0.0.1',
    'ec2-203-0-113-25.compute-1.amazonaws.com.cn',
  ])('%s names no region', (host) => {
    expect(regionOfEc2Host(host)).toBeUndefined();
  });

  it('private DNS names are the private ones only: a public EC2 name is no private-dns key', () => {
    expect(isEc2PrivateDns('ip-10-0-0-1.us-west-2.compute.internal')).toBe(true);
    expect(isEc2PrivateDns('ec2-203-0-113-25.us-west-2.compute.amazonaws.com')).toBe(false);
  });

  it("maps a target to its instance id and the region its tentacle's host names", () => {
    const m = (uri: string): OctopusMachine => ({
      Id: 'Machines-1',
      Name: `web-${id(1)}`,
      Roles: [],
      EnvironmentIds: [],
      Endpoint: { Uri: uri },
    });
    const pattern = /i-[0-9a-f]{17}/;
    expect(
      mapMachine(m('https://ip-10-0-0-1.us-west-2.compute.internal:10933/'), 'instance-id', pattern),
    ).toEqual({
      key: id(1),
      region: 'us-west-2',
    });
    expect(mapMachine(m('https://web-1.example.com:10933/'), 'instance-id', pattern)).toEqual({ key: id(1) });
    expect(mapMachine(m('poll://abc/'), 'instance-id', pattern)).toEqual({ key: id(1) });
    expect(mapMachine(m('https://ip-10-0-0-1.ec2.internal.:10933/'), 'private-dns', pattern)).toEqual({
      key: 'ip-10-0-0-1.ec2.internal',
      region: 'us-east-1',
    });
  });
});

describe('reapOrphans across regions', () => {
  it('keeps the targets of live instances in a region nobody listed, and deletes the one in no region', async () => {
    const s = setup(
      [{ Name: id(1) }, { Name: id(2) }, { Name: id(3) }, { Name: id(9) }],
      [
        { id: id(1), state: 'running' },
        { id: id(2), state: 'running', region: 'us-west-2' },
        { id: id(3), state: 'pending', region: 'ap-northeast-1' },
      ],
    );
    const r = await reapOrphans(s.ctx, options());
    expect(r.reaped.map((t) => [t.name, t.state, t.reason])).toEqual([
      [id(9), 'not-found', `no instance ${id(9)} in any of the ${ENABLED} regions enabled for the account`],
    ]);
    expect(r.kept.map((k) => [k.name, k.state, k.region])).toEqual([
      [id(1), 'running', 'us-east-1'],
      [id(2), 'running', 'us-west-2'],
      [id(3), 'pending', 'ap-northeast-1'],
    ]);
    expect(cloud.targetNames().sort()).toEqual([id(1), id(2), id(3)]);
    expect(describeRegionsCalls()).toBe(1);
    expect(r.widened).toHaveLength(ENABLED - 1);
    expect(regionsAsked()).toHaveLength(ENABLED);
  });

  it('asks nothing more when every instance is found in the given regions', async () => {
    const s = setup(
      [{ Name: id(1) }, { Name: id(2) }],
      [
        { id: id(1), state: 'running' },
        { id: id(2), state: 'terminated' },
      ],
    );
    const r = await reapOrphans(s.ctx, options());
    expect(r.reaped.map((t) => t.name)).toEqual([id(2)]);
    expect(describeRegionsCalls()).toBe(0);
    expect(regionsAsked()).toEqual(['us-east-1']);
  });

  it('looks for an instance in the region its target address names, and only there', async () => {
    const s = setup(
      [
        { Name: `web-${id(1)}`, Endpoint: tentacle('ip-10-0-0-1.us-west-2.compute.internal') },
        { Name: `web-${id(2)}`, Endpoint: tentacle('ip-10-0-0-2.us-west-2.compute.internal') },
        { Name: `web-${id(3)}`, Endpoint: tentacle('ec2-54-0-0-3.eu-central-1.compute.amazonaws.com') },
      ],
      [{ id: id(1), state: 'running', region: 'us-west-2' }],
    );
    const r = await reapOrphans(s.ctx, options());
    expect(r.kept.map((k) => [k.name, k.region])).toEqual([[`web-${id(1)}`, 'us-west-2']]);
    expect(r.reaped.map((t) => [t.name, t.reason]).sort()).toEqual([
      [`web-${id(2)}`, `no instance ${id(2)} in us-west-2, the region its target's address names`],
      [`web-${id(3)}`, `no instance ${id(3)} in eu-central-1, the region its target's address names`],
    ]);
    expect(regionsAsked()).toEqual(['eu-central-1', 'us-east-1', 'us-west-2']);
    expect(r.widened).toEqual(['eu-central-1', 'us-west-2']);
  });

  it('leaves alone a target whose address names a region not enabled for the account, and says why', async () => {
    const s = setup(
      [
        { Name: `web-${id(1)}`, Endpoint: tentacle('ip-10-0-0-1.af-south-1.compute.internal') },
        { Name: id(2) },
      ],
      [],
    );
    const r = await reapOrphans(s.ctx, options());
    expect(r.reaped.map((t) => t.name)).toEqual([id(2)]);
    expect(r.kept).toEqual([
      expect.objectContaining({
        name: `web-${id(1)}`,
        state: null,
        reason: expect.stringMatching(
          /left alone: .*names af-south-1, not among the regions enabled for this account/,
        ),
      }),
    ]);
    expect(regionsAsked()).not.toContain('af-south-1');
    expect(s.log.lines.join('\n')).toMatch(
      /warning: 1 instance\(s\) could not be looked for everywhere they could be/,
    );
  });

  it('matched by private IP, keeps a target whose address a live instance holds in another region', async () => {
    const s = setup(
      [
        { Name: 'web-a', Endpoint: tentacle('127.10.0.9') },
        { Name: 'web-b', Endpoint: tentacle('127.10.0.10') },
      ],
      [
        { id: id(1), state: 'stopped', ip: '127.10.0.9' },
        { id: id(2), state: 'running', ip: '127.10.0.9', region: 'eu-west-1' },
        { id: id(3), state: 'stopped', ip: '127.10.0.10' },
      ],
    );
    const r = await reapOrphans(
      s.ctx,
      options({ matchBy: 'private-ip', reapStates: ['stopped', 'terminated', 'not-found'] }),
    );
    expect(r.kept.map((k) => [k.name, k.instanceId, k.state, k.region])).toEqual([
      ['web-a', id(2), 'running', 'eu-west-1'],
    ]);
    expect(r.reaped.map((t) => [t.name, t.instanceId, t.state])).toEqual([['web-b', id(3), 'stopped']]);
  });

  it('leaves alone what a region that denies the lookup could hold, and still reaps what it can prove', async () => {
    const s = setup(
      [{ Name: id(1) }, { Name: id(2) }, { Name: id(3) }],
      [
        { id: id(1), state: 'running', region: 'us-west-2' },
        { id: id(2), state: 'terminated' },
      ],
    );
    cloud.lc.iam.setPolicy(DENY_OTHER_REGIONS);
    try {
      const r = await reapOrphans(s.ctx, options());
      expect(r.reaped.map((t) => [t.name, t.state])).toEqual([[id(2), 'terminated']]);
      expect(r.kept.map((k) => [k.name, k.state, k.region])).toEqual([
        [id(1), 'running', 'us-west-2'],
        [id(3), null, null],
      ]);
      expect(r.kept[1]!.reason).toMatch(
        /^left alone: EC2 in ap-northeast-1 refused DescribeInstances \(UnauthorizedOperation\), so an instance there cannot be ruled out$/,
      );
      expect(cloud.targetNames().sort()).toEqual([id(1), id(3)]);
    } finally {
      cloud.lc.iam.setPolicy(null);
    }
  });

  it('matched by private IP, keeps a stopped instance’s target while a denying region could hold its address live', async () => {
    const s = setup(
      [{ Name: 'web-a', Endpoint: tentacle('127.10.0.11') }],
      [{ id: id(1), state: 'stopped', ip: '127.10.0.11' }],
    );
    cloud.lc.iam.setPolicy(DENY_OTHER_REGIONS);
    try {
      const r = await reapOrphans(
        s.ctx,
        options({ matchBy: 'private-ip', reapStates: ['stopped', 'terminated', 'not-found'] }),
      );
      expect(r.reaped).toEqual([]);
      expect(r.kept[0]!.reason).toMatch(/^left alone: EC2 in ap-northeast-1 refused DescribeInstances/);
    } finally {
      cloud.lc.iam.setPolicy(null);
    }
  });

  it("works under the action's own iam-policy.json, and names DescribeRegions when a policy lacks it", async () => {
    const policy = JSON.parse(
      readFileSync(join(repoRoot, 'actions/reap-octopus-orphans/iam-policy.json'), 'utf8'),
    ) as { Statement: { Action: string[] }[] };
    const s = setup(
      [{ Name: id(1) }, { Name: id(2) }],
      [{ id: id(1), state: 'running', region: 'eu-west-2' }],
    );
    cloud.lc.iam.setPolicy(policy);
    try {
      const r = await reapOrphans(s.ctx, options());
      expect(r.reaped.map((t) => t.name)).toEqual([id(2)]);
      const old = { ...policy, Statement: [{ ...policy.Statement[0]!, Action: ['ec2:DescribeInstances'] }] };
      const again = setup(
        [{ Name: id(1) }, { Name: id(2) }],
        [{ id: id(1), state: 'running', region: 'eu-west-2' }],
      );
      cloud.lc.iam.setPolicy(old);
      const err = await reapOrphans(again.ctx, options()).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/^EC2 DescribeRegions .*UnauthorizedOperation/);
      expect(cloud.targetNames()).toHaveLength(2);
    } finally {
      cloud.lc.iam.setPolicy(null);
    }
  });

  it('deletes nothing when DescribeRegions fails, and says what it was for', async () => {
    const s = setup([{ Name: id(1) }, { Name: id(2) }], [{ id: id(1), state: 'running' }]);
    cloud.lc.control.addFaults({
      service: 'ec2',
      operation: 'DescribeRegions',
      kind: 'error',
      status: 503,
      code: 'Unavailable',
      message: 'The service is unavailable. Please try again shortly.',
    });
    const err = await reapOrphans(s.ctx, options()).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(
      /EC2 DescribeRegions \(to look for 1 instance\(s\) not found in us-east-1 in every region enabled for the account\): The service is unavailable/,
    );
    expect(cloud.deletes()).toEqual([]);
  });

  it('deletes nothing when a region asked later fails', async () => {
    const s = setup([{ Name: id(1) }, { Name: id(2) }], [{ id: id(1), state: 'terminated' }]);
    cloud.lc.control.addFaults({
      service: 'ec2',
      operation: 'DescribeInstances',
      region: 'us-west-2',
      kind: 'error',
      status: 500,
      code: 'InternalError',
      message: 'We encountered an internal error.',
    });
    const err = await reapOrphans(s.ctx, options()).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(
      /EC2 DescribeInstances in us-west-2 \(batch 1 of 1\).*internal error/,
    );
    expect(cloud.deletes()).toEqual([]);
    expect(cloud.targetNames()).toHaveLength(2);
  });
});
