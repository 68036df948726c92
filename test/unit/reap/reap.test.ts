import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ReapDeleteFailed, ReapRefused, reapOrphans } from '../../../src/reap/reap.js';
import { createOctopusClient } from '../../../src/octopus/client.js';
import {
  reapOptions,
  setupReap,
  startReapCloud,
  type InstanceSeed,
  type ReapCloud,
  type TargetSeed,
} from './cloud.js';

const id = (n: number) => `i-${n.toString(16).padStart(17, '0')}`;

const options = reapOptions;

let cloud: ReapCloud;
beforeAll(async () => {
  cloud = await startReapCloud();
});
afterAll(() => cloud.stop());

const setup = (targets: TargetSeed[], instances: InstanceSeed[], octopus = cloud.octopus) =>
  setupReap(cloud, targets, instances, octopus);

describe('reapOrphans', () => {
  it('deletes targets of terminated and never-existing instances, keeps running and stopped ones, skips unmappable names', async () => {
    const s = setup(
      [
        { Name: `web-${id(1)}` },
        { Name: id(2) },
        { Name: id(3) },
        { Name: id(4) },
        { Name: 'build-agent-7' },
        { Name: id(5), environments: ['Staging'] },
        ...Array.from({ length: 40 }, (_, i) => ({ Name: id(100 + i) })),
      ],
      [
        { id: id(1), state: 'running' },
        { id: id(2), state: 'stopped' },
        { id: id(3), state: 'terminated' },
        { id: id(5), state: 'terminated' },
        ...Array.from({ length: 40 }, (_, i) => ({ id: id(100 + i), state: 'running' })),
      ],
    );
    const r = await reapOrphans(s.ctx, options());
    expect(r.reaped.map((t) => [t.name, t.state])).toEqual(
      expect.arrayContaining([
        [id(3), 'terminated'],
        [id(4), 'not-found'],
      ]),
    );
    expect(r.reaped).toHaveLength(2);
    const left = cloud.targetNames();
    expect(left).toEqual(expect.arrayContaining([`web-${id(1)}`, id(2), 'build-agent-7', id(5)]));
    expect(left).not.toContain(id(3));
    expect(left).not.toContain(id(4));
    expect(r.unmapped.map((u) => u.name)).toEqual(['build-agent-7']);
    expect(r.scanned).toBe(45); // two pages of 30; the Staging target is out of scope
    // id(4) is in no region: after us-east-1, every other enabled region is asked about it alone.
    const calls = cloud.describeCalls();
    expect(calls[0]).toEqual({ region: 'us-east-1', values: 44 });
    expect(calls.slice(1).every((c) => c.values === 1 && c.region !== 'us-east-1')).toBe(true);
    expect(new Set(calls.map((c) => c.region)).size).toBe(calls.length);
    expect(r.widened).toEqual(
      calls
        .slice(1)
        .map((c) => c.region)
        .sort(),
    );
    expect(r.reaped.find((t) => t.name === id(4))?.reason).toMatch(
      new RegExp(`no instance ${id(4)} in any of the ${calls.length} regions enabled for the account`),
    );
  });

  it('asks EC2 in batches of at most 200 per region and keeps a target whose instance runs in another region', async () => {
    const machines = Array.from({ length: 450 }, (_, i) => ({ Name: id(i) }));
    const instances = machines.map((_, i) => ({
      id: id(i),
      state: 'running',
      region: i === 7 ? 'eu-west-1' : 'us-east-1',
    }));
    const s = setup(machines, instances);
    const r = await reapOrphans(s.ctx, options({ regions: ['us-east-1', 'eu-west-1'], pageSize: 100 }));
    // Regions are asked side by side: compare per region, not in arrival order.
    const byRegion = (region: string) =>
      cloud
        .describeCalls()
        .filter((c) => c.region === region)
        .map((c) => c.values)
        .sort((a, b) => b - a);
    expect(byRegion('us-east-1')).toEqual([200, 200, 50]);
    expect(byRegion('eu-west-1')).toEqual([200, 200, 50]);
    expect(r.widened).toEqual([]);
    expect(r.ec2Calls).toBe(6);
    expect(r.reaped).toEqual([]);
    expect(r.kept.find((k) => k.name === id(7))).toMatchObject({ state: 'running', region: 'eu-west-1' });
    expect(cloud.targetNames().length).toBe(450);
  });

  it('refuses more orphans than max-reap, lists them, and deletes nothing', async () => {
    const machines = Array.from({ length: 30 }, (_, i) => ({ Name: id(i) }));
    const instances = machines.map((_, i) => ({ id: id(i), state: i < 11 ? 'terminated' : 'running' }));
    const s = setup(machines, instances);
    const err = await reapOrphans(s.ctx, options()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReapRefused);
    expect((err as Error).message).toMatch(
      /11 targets look orphaned, over max-reap \(10\): nothing was deleted/,
    );
    expect((err as Error).message).toContain(id(0));
    expect(cloud.deletes()).toEqual([]);
  });

  it('a wrong region no longer makes targets look orphaned: their instances are found where they run', async () => {
    const machines = Array.from({ length: 6 }, (_, i) => ({ Name: id(i) }));
    const s = setup(
      machines,
      machines.map((_, i) => ({ id: id(i), state: 'running', region: 'eu-west-1' })),
    );
    const r = await reapOrphans(s.ctx, options({ regions: ['us-east-1'] }));
    expect(r.orphans).toEqual([]);
    expect(r.kept.map((k) => k.region)).toEqual(Array(6).fill('eu-west-1'));
    expect(cloud.deletes()).toEqual([]);
  });

  it('refuses when a wrong account makes every target look orphaned (max-reap-percent)', async () => {
    const machines = Array.from({ length: 6 }, (_, i) => ({ Name: id(i) }));
    const s = setup(machines, []);
    const err = await reapOrphans(s.ctx, options({ maxReap: 100 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReapRefused);
    expect((err as Error).message).toMatch(
      /max-reap-percent \(50%: 100% of 6 mapped targets\).*wrong account/,
    );
    expect(cloud.deletes()).toEqual([]);
  });

  it('deletes nothing when an EC2 batch fails after others succeeded', async () => {
    const machines = Array.from({ length: 500 }, (_, i) => ({ Name: id(i) }));
    const s = setup(machines, [{ id: id(1), state: 'terminated' }]);
    cloud.lc.control.addFaults({
      service: 'ec2',
      operation: 'DescribeInstances',
      kind: 'error',
      status: 500,
      code: 'InternalError',
      message: 'We encountered an internal error.',
      sequence: '.x',
    });
    const err = await reapOrphans(
      s.ctx,
      options({ maxReap: 1000, maxReapPercent: 100, pageSize: 200 }),
    ).catch((e: unknown) => e);
    const failed = cloud.lc.logs.calls.query({ operation: 'DescribeInstances' })[1]!;
    expect((err as Error).message).toContain(
      `EC2 DescribeInstances in us-east-1 (batch 2 of 3): We encountered an internal error. (code InternalError, request id ${failed.requestId})`,
    );
    expect(cloud.describeCalls().map((c) => c.values)).toEqual([200, 200, 100]);
    expect(cloud.deletes()).toEqual([]);
  });

  it('deletes nothing and asks EC2 nothing when Octopus refuses the key', async () => {
    // A key this Octopus does not know: its first request (GET /api/spaces) answers 401.
    const wrongKey = createOctopusClient(
      { url: `${cloud.lc.url}/octopus`, apiKey: 'API-WRONGKEY000000000000000000000' },
      cloud.clock,
    );
    const s = setup([{ Name: id(1) }], [], wrongKey);
    await expect(reapOrphans(s.ctx, options())).rejects.toThrow(/answered 401/);
    expect(cloud.describeCalls()).toEqual([]);
    expect(cloud.deletes()).toEqual([]);
  });

  it('names environments that do not exist before reading any target', async () => {
    const s = setup([{ Name: id(1) }], []);
    await expect(reapOrphans(s.ctx, options({ environments: ['Production', 'Prod-EU'] }))).rejects.toThrow(
      /environment not found in Spaces-1: Prod-EU \(it has: Production, Staging\)/,
    );
    expect(cloud.deletes()).toEqual([]);
  });

  it('lists orphans in a dry run and deletes nothing, noting what a real run would refuse', async () => {
    const machines = Array.from({ length: 4 }, (_, i) => ({ Name: id(i) }));
    const s = setup(machines, [{ id: id(0), state: 'running' }]);
    const r = await reapOrphans(s.ctx, options({ dryRun: true }));
    expect(r.orphans.map((o) => o.name)).toEqual([id(1), id(2), id(3)]);
    expect(r.reaped).toEqual([]);
    expect(r.refusal).toMatch(/max-reap-percent/);
    expect(cloud.deletes()).toEqual([]);
  });

  it('counts a target that is already gone (404) as reaped', async () => {
    const s = setup(
      [{ Name: id(1) }, { Name: id(2) }, { Name: id(3) }],
      [
        { id: id(1), state: 'running' },
        { id: id(2), state: 'running' },
      ],
    );
    const realDelete = cloud.octopus.delete.bind(cloud.octopus);
    s.ctx.clients.octopus = {
      ...cloud.octopus,
      delete: async (path, signal) => {
        cloud.lc.octopus.state.deleteMachine('Machines-3'); // someone else removed it first
        return realDelete(path, signal);
      },
    };
    const r = await reapOrphans(s.ctx, options());
    expect(r.reaped).toEqual([
      expect.objectContaining({ machineId: 'Machines-3', reason: expect.stringMatching(/already gone/) }),
    ]);
  });

  it('stops starting deletes after one fails and reports what was deleted', async () => {
    const machines = Array.from({ length: 10 }, (_, i) => ({ Name: id(i) }));
    const s = setup(
      machines,
      Array.from({ length: 4 }, (_, i) => ({ id: id(i), state: 'running' })),
    );
    // Every DELETE after the first (Machines-5) answers 500, retries included.
    cloud.lc.octopus.faults.add({ route: 'machines.delete', kind: 'status', status: 500, after: 1 });
    const err = await reapOrphans(s.ctx, options({ concurrency: 1, maxReapPercent: 100 })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ReapDeleteFailed);
    const partial = (err as ReapDeleteFailed).result;
    expect(partial.reaped.map((t) => t.machineId)).toEqual(['Machines-5']);
    expect((err as Error).message).toMatch(/stopped after 1 of 6: Octopus DELETE .*Machines-6 answered 500/);
    expect(cloud.targetNames().length).toBe(9);
  });

  it('matches by private IP: a replacement reusing the address of an instance shutting down keeps the target, a terminated instance names none; polling tentacles are skipped', async () => {
    const s = setup(
      [
        {
          Name: 'web-a',
          Endpoint: { CommunicationStyle: 'TentaclePassive', Uri: 'https://127.10.0.5:10933/' },
        },
        {
          Name: 'web-b',
          Endpoint: { CommunicationStyle: 'TentaclePassive', Uri: 'https://127.10.0.6:10933/' },
        },
        {
          Name: 'web-c',
          Endpoint: { CommunicationStyle: 'TentaclePassive', Uri: 'https://127.10.0.7:10933/' },
        },
        { Name: 'web-d', Endpoint: { CommunicationStyle: 'TentacleActive', Uri: 'poll://abcdef/' } },
      ],
      [
        // EC2 hides a terminated instance's address; one still shutting down shows it.
        { id: id(1), state: 'shutting-down', ip: '127.10.0.5' },
        { id: id(2), state: 'running', ip: '127.10.0.5' },
        { id: id(3), state: 'terminated', ip: '127.10.0.6' },
        { id: id(4), state: 'running', ip: '127.10.0.7' },
      ],
    );
    const r = await reapOrphans(s.ctx, options({ matchBy: 'private-ip' }));
    // EC2 (and localcloud) no longer reports the private address of a terminated instance, so the
    // address of web-b names no instance: reaped as not-found.
    expect(r.reaped.map((t) => [t.name, t.instanceId, t.state])).toEqual([['web-b', null, 'not-found']]);
    expect(cloud.targetNames()).toEqual(['web-a', 'web-c', 'web-d']);
    expect(r.kept.find((k) => k.name === 'web-a')).toMatchObject({ instanceId: id(2), state: 'running' });
    expect(r.unmapped).toEqual([
      expect.objectContaining({ name: 'web-d', reason: expect.stringMatching(/polling tentacle/) }),
    ]);
  });

  it('reaps stopped instances only when reap-states says so', async () => {
    const machines = [{ Name: id(1) }, { Name: id(2) }, { Name: id(3) }];
    const instances = [
      { id: id(1), state: 'stopped' },
      { id: id(2), state: 'running' },
      { id: id(3), state: 'running' },
    ];
    const first = setup(machines, instances);
    expect((await reapOrphans(first.ctx, options())).reaped).toEqual([]);
    const second = setup(machines, instances);
    const r = await reapOrphans(second.ctx, options({ reapStates: ['terminated', 'stopped'] }));
    expect(r.reaped.map((t) => t.name)).toEqual([id(1)]);
  });

  it('logs a target name carrying a newline on one line, so it cannot issue a workflow command', async () => {
    const evil = `${id(3)}\n::add-mask::x\r\n::warning::pwned`;
    const s = setup(
      [{ Name: evil }, { Name: 'build\n::error::agent' }],
      [{ id: id(3), state: 'terminated' }],
    );
    const r = await reapOrphans(s.ctx, options({ maxReapPercent: 100 }));
    expect(r.reaped.map((t) => t.name)).toEqual([
      `${id(3)}\\u000a::add-mask::x\\u000d\\u000a::warning::pwned`,
    ]);
    const lines = s.log.lines.flatMap((l) => l.split(/\r?\n|\r/));
    expect(lines.filter((l) => l.startsWith('::'))).toEqual([]);
    expect(lines.join('\n')).toContain('build\\u000a::error::agent');
  });
});
