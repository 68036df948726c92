// reap-octopus-orphans through dist/, run as the runner runs it, against localcloud's EC2 and Octopus.
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { runActionStep } from '../harness/run-action.js';
import { startCloud, type Cloud } from './reap-cloud.js';

// Each test spawns the bundled step; the bound is against hangs, not a performance assertion.
jest.setTimeout(120_000);

let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud();
});
afterAll(async () => cloud.stopCloud());
beforeEach(() => cloud.reset());

const fakeId = (n: number) => `i-${(0xdead0000 + n).toString(16).padStart(17, '0')}`;
const reaped = (outputs: Record<string, string>) =>
  (JSON.parse(outputs.reaped ?? '[]') as Array<{ name: string; state: string }>).map((r) => r.name).sort();
const targetNames = () => [...cloud.octopus.state.machines.values()].map((m) => m.Name);

describe('reap-octopus-orphans e2e', () => {
  it('reaps exactly the orphans of a mixed estate and keeps every live target', async () => {
    const [running, stopped, terminated, bulk] = [
      await cloud.launch(4),
      await cloud.launch(2),
      await cloud.launch(3),
      await cloud.launch(120),
    ];
    await cloud.stop(stopped);
    await cloud.terminate(terminated);
    const never = [fakeId(1), fakeId(2)];
    cloud.octopus.addMachines([
      ...running.map((id, i) => ({ name: `web-${id}`, environments: [i % 2 ? 'Staging' : 'Production'] })),
      ...stopped.map((id) => ({ name: id, environments: ['Production'] })),
      ...terminated.map((id, i) => ({ name: id, environments: [i % 2 ? 'Staging' : 'Production'] })),
      ...never.map((id) => ({ name: id, environments: ['Staging'] })),
      ...bulk.map((id) => ({ name: id, environments: ['Production'] })),
      { name: 'build-agent-1', environments: ['Production'] },
      { name: 'poller', environments: ['Staging'], style: 'TentacleActive' as const },
      { name: fakeId(3), environments: ['Test'] },
    ]);
    const r = await runActionStep('reap-octopus-orphans', {
      env: cloud.env(),
      inputs: { environments: 'Production, Staging' },
    });
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    const orphans = [...terminated, ...never].sort();
    expect(reaped(r.outputs)).toEqual(orphans);
    expect(r.outputs['reaped-count']).toBe('5');
    expect(r.outputs['kept-count']).toBe(String(4 + 2 + 120 + 2));
    expect(cloud.octopusDeletes().sort()).toEqual(orphans);
    const left = targetNames();
    for (const id of [
      ...running.map((i) => `web-${i}`),
      ...stopped,
      ...bulk,
      'build-agent-1',
      'poller',
      fakeId(3),
    ])
      expect(left).toContain(id);
    expect(r.summary).toContain('Removed: 5');
    expect(r.summary).toContain('Skipped: 2');
  });

  it('refuses more orphans than max-reap, lists them and deletes nothing', async () => {
    const ids = await cloud.launch(30);
    await cloud.terminate(ids.slice(0, 12));
    cloud.octopus.addMachines(ids.map((id) => ({ name: id, environments: ['Production'] })));
    const r = await runActionStep('reap-octopus-orphans', {
      env: cloud.env(),
      inputs: { environments: 'Production' },
    });
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toMatch(
      /12 targets look orphaned, over max-reap \(10\): nothing was deleted/,
    );
    expect(JSON.parse(r.outputs.orphans ?? '[]')).toHaveLength(12);
    expect(r.outputs['reaped-count']).toBe('0');
    expect(cloud.octopusDeletes()).toEqual([]);
    expect(targetNames()).toHaveLength(30);
  });

  it('deletes nothing when EC2 fails mid-run', async () => {
    cloud.octopus.addMachines(
      Array.from({ length: 450 }, (_, i) => ({ name: fakeId(i), environments: ['Production'] })),
    );
    // Regions and batches are asked side by side: us-east-1 answers all three batches while every
    // eu-west-1 call fails, so the failure comes mid-run whatever order the calls land in.
    cloud.ec2Outage('xxxxxxxxxxxxxxxxxxxx', 'eu-west-1');
    const r = await runActionStep('reap-octopus-orphans', {
      env: cloud.env(),
      inputs: {
        environments: 'Production',
        regions: 'us-east-1, eu-west-1',
        'max-reap': 1000,
        'max-reap-percent': 100,
      },
    });
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toMatch(/EC2 DescribeInstances in eu-west-1 \(batch 1 of 3\).*InternalError/);
    expect(cloud.describeCallsIn('us-east-1')).toBe(3);
    expect(cloud.octopusDeletes()).toEqual([]);
    expect(targetNames()).toHaveLength(450);
  });

  it('stops at an Octopus 401 before asking EC2, and masks the key', async () => {
    const ids = await cloud.launch(2);
    await cloud.terminate(ids);
    cloud.octopus.addMachines(ids.map((id) => ({ name: id, environments: ['Production'] })));
    const before = cloud.describeCalls();
    const badKey = 'API-WRONGKEY00000000000000000000';
    const r = await runActionStep('reap-octopus-orphans', {
      env: { ...cloud.env(), OCTOPUS_API_KEY: badKey },
      inputs: { environments: 'Production' },
    });
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toMatch(/answered 401: The API key you provided was not valid/);
    expect(r.masks).toContain(badKey);
    expect(cloud.describeCalls()).toBe(before);
    expect(targetNames()).toHaveLength(2);
  });

  it('a wrong region deletes nothing: each instance is found in the region it runs in', async () => {
    const ids = await cloud.launch(6, 'us-east-1');
    cloud.octopus.addMachines(ids.map((id) => ({ name: id, environments: ['Production'] })));
    const r = await runActionStep('reap-octopus-orphans', {
      env: cloud.env('eu-west-1'),
      inputs: { environments: 'Production' },
    });
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.outputs['reaped-count']).toBe('0');
    expect(r.outputs['kept-count']).toBe('6');
    expect(r.summary).toMatch(/EC2: eu-west-1, then .*us-east-1.* for instances not found there/);
    expect(cloud.octopusDeletes()).toEqual([]);
    expect(targetNames()).toHaveLength(6);
  });

  it('reads every page from a server that caps its pages, and reaps exactly the orphans', async () => {
    cloud.octopus.settings.maxTake = 100;
    const ids = await cloud.launch(250);
    const orphans = [ids[0]!, ids[120]!, ids[249]!];
    await cloud.terminate(orphans);
    cloud.octopus.addMachines(ids.map((id) => ({ name: id, environments: ['Production'] })));
    const r = await runActionStep('reap-octopus-orphans', {
      env: cloud.env(),
      inputs: { environments: 'Production' },
    });
    expect(r.errors).toEqual([]);
    expect(cloud.listCalls()).toBe(3);
    expect(reaped(r.outputs)).toEqual([...orphans].sort());
    expect(cloud.octopusDeletes().sort()).toEqual([...orphans].sort());
    expect(targetNames()).toHaveLength(247);
    expect(r.outputs['kept-count']).toBe('247');
  });

  it('reconciles 10,000 targets with at most 51 EC2 calls', async () => {
    const seeding = Date.now();
    const ids = await cloud.launch(10_000);
    await cloud.terminate(ids.slice(0, 5));
    cloud.octopus.bulkMachines({ count: ids.length, environment: 'Production', name: (i) => ids[i]! });
    const seedMs = Date.now() - seeding;
    const before = cloud.describeCalls();
    const started = Date.now();
    const r = await runActionStep('reap-octopus-orphans', {
      env: cloud.env(),
      inputs: { environments: 'Production' },
    });
    const wallMs = Date.now() - started;
    expect(r.errors).toEqual([]);
    const calls = cloud.describeCalls() - before;
    expect(calls).toBeLessThanOrEqual(51);
    // A server that gives pages as large as asked: every target in one page.
    expect(cloud.listCalls()).toBe(1);
    expect(r.outputs['reaped-count']).toBe('5');
    expect(targetNames()).toHaveLength(9_995);
    // Reported, not asserted: performance belongs to bench/.
    console.log(
      `reap e2e: 10,000 targets, ${calls} DescribeInstances calls, ${wallMs} ms wall (step process incl. startup; seeding took ${seedMs} ms)`,
    );
  });
});
