// deploy-ami's sequence and its input spec, with the four steps faked: order, what is skipped,
// how an unhealthy fleet fails the step while keeping its result, and that the spec matches action.yml.
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { AwsClients } from '../../../src/aws/clients.js';
import { ConfigurationError } from '../../../src/core/errors.js';
import { parseInputs } from '../../../src/core/inputs.js';
import { memoryLog } from '../../../src/core/log.js';
import type { ActionContext } from '../../../src/core/run.js';
import { deploy, DeployFailure, type DeploySteps, type WaitOutcome } from '../../../src/deploy/deploy.js';
import { deploySpec, groupSelection, type DeployInputs } from '../../../src/deploy/inputs.js';
import { fakeClock } from '../../support/fake-clock.js';

const parse_ = (
  raw: Record<string, string>,
  env: Record<string, string> = { AWS_REGION: 'us-east-1' },
): DeployInputs => parseInputs(deploySpec, { input: (n) => raw[n] ?? '', env: (n) => env[n] });

const base = {
  'ami-id': 'ami-0123456789abcdef0',
  'parameter-name': '/golden-ami/web',
  environment: 'staging',
};

function fakes(
  wait: WaitOutcome = { status: 'healthy', results: [] },
  refreshes: unknown[] = [{ region: 'us-east-1', group: 'web' }],
) {
  const calls: string[] = [];
  const steps: DeploySteps = {
    reap: async () => (calls.push('reap'), { reapedCount: 2, keptCount: 5 }),
    promote: async () => (
      calls.push('promote'),
      { previousAmiId: 'ami-00000000000000001', version: 4, changed: true }
    ),
    roll: async () => (calls.push('roll'), { refreshes, asgNames: ['web'] }),
    wait: async (_c, _i, r) => (calls.push(`wait:${r.length}`), wait),
  };
  return { calls, steps };
}

const ctx = (): ActionContext & { log: ReturnType<typeof memoryLog> } => ({
  clients: {} as AwsClients,
  clock: fakeClock(),
  log: memoryLog(),
  signal: new AbortController().signal,
});

describe('deploy', () => {
  test('promotes, rolls and waits in that order; reaps first only when asked', async () => {
    const plain = fakes();
    const r = await deploy(ctx(), parse_(base), plain.steps);
    expect(plain.calls).toEqual(['promote', 'roll', 'wait:1']);
    expect(r.status).toBe('healthy');
    expect(r.timings.map((t) => t.phase)).toEqual(['promote', 'roll', 'wait']);

    const reaping = fakes();
    const withReap = await deploy(
      ctx(),
      parse_(
        { ...base, reap: 'true', 'octopus-url': 'https://octopus.example.com' },
        { AWS_REGION: 'us-east-1', OCTOPUS_API_KEY: 'API-X' },
      ),
      reaping.steps,
    );
    expect(reaping.calls).toEqual(['reap', 'promote', 'roll', 'wait:1']);
    expect(withReap.reap).toEqual({ reapedCount: 2, keptCount: 5 });
  });

  test('nothing to wait for when every group is already current, or on a dry run', async () => {
    const current = fakes(undefined, []);
    const r = await deploy(ctx(), parse_(base), current.steps);
    expect(current.calls).toEqual(['promote', 'roll']);
    expect(r.status).toBe('healthy');
    expect(r.wait).toBeUndefined();

    const dry = fakes();
    await deploy(ctx(), parse_({ ...base, 'dry-run': 'true' }), dry.steps);
    expect(dry.calls).toEqual(['promote', 'roll']);
  });

  test('an unhealthy fleet fails with the wait result kept for outputs and summary', async () => {
    const f = fakes({
      status: 'rolled-back',
      results: [{ group: 'web' }],
      failure: 'staging: web rolled back to version 3',
    });
    const err = await deploy(ctx(), parse_(base), f.steps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeployFailure);
    expect((err as DeployFailure).message).toBe('staging: web rolled back to version 3');
    expect((err as DeployFailure).result.status).toBe('rolled-back');
    expect((err as DeployFailure).result.promote.version).toBe(4);
  });

  test('a failing step stops the sequence', async () => {
    const f = fakes();
    f.steps.promote = async () => {
      f.calls.push('promote');
      throw new Error('refused: older AMI');
    };
    await expect(deploy(ctx(), parse_(base), f.steps)).rejects.toThrow('refused: older AMI');
    expect(f.calls).toEqual(['promote']);
  });
});

describe('deploy-ami inputs', () => {
  test('groups default to Environment=<environment>; names or tags replace that', () => {
    expect(groupSelection(parse_(base))).toEqual({ asgNames: [], asgTags: { Environment: 'staging' } });
    expect(groupSelection(parse_({ ...base, 'asg-names': 'a,b' }))).toEqual({
      asgNames: ['a', 'b'],
      asgTags: {},
    });
  });

  test('every problem is reported at once', () => {
    let err: unknown;
    try {
      parse_({
        'ami-id': 'ami-xyz',
        environment: 'staging',
        reap: 'true',
        'min-healthy-percentage': '100',
        'max-healthy-percentage': '100',
        'checkpoint-percentages': '50,20',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigurationError);
    const problems = (err as ConfigurationError).problems.join('\n');
    expect(problems).toMatch(/ami-id: "ami-xyz" is not accepted/);
    expect(problems).toMatch(/parameter-name: is required/);
  });

  test('reap needs an Octopus URL and a credential', () => {
    expect(() => parse_({ ...base, reap: 'true' })).toThrow(
      /octopus-url: is required with reap: true[\s\S]*octopus-api-key/,
    );
  });

  test('the spec and the root action.yml declare the same inputs, defaults and outputs', () => {
    const meta = parse(readFileSync('action.yml', 'utf8')) as {
      inputs: Record<string, { default?: string; required?: boolean }>;
      outputs: Record<string, unknown>;
    };
    expect(Object.keys(meta.inputs).sort()).toEqual(Object.keys(deploySpec.inputs).sort());
    for (const [name, field] of Object.entries(deploySpec.inputs)) {
      expect([name, meta.inputs[name]?.default]).toEqual([name, field.default]);
      // Required in action.yml only when the code cannot fall back to an environment variable.
      expect([name, meta.inputs[name]?.required === true]).toEqual([name, field.required && !field.env]);
    }
    expect(Object.keys(meta.outputs).sort()).toEqual([...deploySpec.outputs].sort());
  });
});
