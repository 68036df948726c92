// Cold start of every action bundle: process spawn → its first API request, against a peer that
// does the least possible (a script importing @aws-sdk/client-ec2 and sending one request), plus
// bare node, all measured in this run. Also the total size of dist/.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { readdirSync, statSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadAction, repoRoot, ACTIONS } from '../test/harness/action-metadata.js';
import { median, ratio, type BenchOptions, type Section } from './report.js';

const AMI = 'ami-0123456789abcdef0';
// Valid inputs that make each action's first move an API call.
const INPUTS: Record<string, Record<string, string>> = {
  'bake-ami': { name: 'bench', 'source-ami': AMI, 'user-data': '#!/bin/bash\nshutdown -h now' },
  'promote-ami-parameter': { 'parameter-name': '/bench/web', 'ami-id': AMI },
  'roll-asg': { 'asg-names': 'bench-web', 'ami-id': AMI },
  'wait-healthy': { 'asg-names': 'bench-web' },
  'reap-octopus-orphans': {
    environments: 'Production',
    'octopus-api-key': 'API-BENCH0000000000000000000000000',
  },
  'retire-amis': { names: 'bench' },
};

interface Probe {
  server: Server;
  url: string;
  /** Resolves at the first request after arm(). */
  arm(): Promise<void>;
}

async function probeServer(): Promise<Probe> {
  let waiting: (() => void) | undefined;
  const server = createServer((req, res) => {
    waiting?.();
    waiting = undefined;
    req.resume();
    res.writeHead(503).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, url, arm: () => new Promise<void>((r) => (waiting = r)) };
}

async function timeToFirstRequest(
  probe: Probe,
  args: string[],
  env: Record<string, string>,
): Promise<number> {
  const first = probe.arm();
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, args, { env, stdio: 'ignore', cwd: repoRoot });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const winner = await Promise.race([first.then(() => 'request'), exited.then(() => 'exit')]);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  child.kill('SIGKILL');
  await exited;
  if (winner !== 'request') throw new Error(`${args.join(' ')} exited before making any request`);
  return ms;
}

function dirBytes(dir: string): number {
  return readdirSync(dir, { recursive: true })
    .map((f) => join(dir, String(f)))
    .filter((f) => statSync(f).isFile())
    .reduce((n, f) => n + statSync(f).size, 0);
}

export async function coldStart(opts: BenchOptions): Promise<Omit<Section, 'ms'>> {
  const runs = opts.quick ? 3 : 7;
  const probe = await probeServer();
  const env = (extra: Record<string, string> = {}) => ({
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: probe.url,
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'y',
    AWS_MAX_ATTEMPTS: '1',
    OCTOPUS_URL: `${probe.url}/octopus`,
    ...extra,
  });
  try {
    const peerScript = join(mkdtempSync(join(tmpdir(), 'gaa-bench-')), 'peer.mjs');
    writeFileSync(
      peerScript,
      `const { EC2Client, DescribeImagesCommand } = await import(${JSON.stringify(join(repoRoot, 'node_modules/@aws-sdk/client-ec2/dist-cjs/index.js'))});\n` +
        `await new EC2Client({ region: 'us-east-1', maxAttempts: 1 }).send(new DescribeImagesCommand({ ImageIds: ['${AMI}'] })).catch(() => {});\n`,
    );
    const peer: number[] = [];
    for (let i = 0; i < runs; i++) peer.push(await timeToFirstRequest(probe, [peerScript], env()));
    const bare: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = process.hrtime.bigint();
      await new Promise((r) => spawn(process.execPath, ['-e', '0']).on('exit', r));
      bare.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const peerMs = median(peer);
    const figures: Section['figures'] = [
      { metric: 'bare `node -e 0` (spawn → exit)', ours: Math.round(median(bare)), unit: 'ms' },
      {
        metric: 'import @aws-sdk/client-ec2 + 1 request (spawn → first request)',
        ours: Math.round(peerMs),
        unit: 'ms',
      },
    ];
    for (const action of ACTIONS) {
      const meta = loadAction(action);
      const inputs: Record<string, string> = {};
      for (const [name, i] of Object.entries(meta.inputs))
        if (i.default !== undefined) inputs[`INPUT_${name.toUpperCase()}`] = String(i.default);
      for (const [name, v] of Object.entries(INPUTS[action] ?? {})) inputs[`INPUT_${name.toUpperCase()}`] = v;
      const main = join(meta.dir, meta.runs.main!);
      const times: number[] = [];
      for (let i = 0; i < runs; i++)
        times.push(
          await timeToFirstRequest(
            probe,
            [main],
            env({
              ...inputs,
              GITHUB_OUTPUT: '/dev/null',
              GITHUB_STATE: '/dev/null',
              GITHUB_STEP_SUMMARY: '/dev/null',
            }),
          ),
        );
      const ms = median(times);
      figures.push({
        metric: `${action} (spawn → first API request)`,
        ours: Math.round(ms),
        peer: Math.round(peerMs),
        peerName: 'SDK import + request',
        unit: 'ms',
        ratio: ratio(ms, peerMs),
      });
    }
    figures.push({
      metric: 'dist/ total size',
      ours: Math.round(dirBytes(join(repoRoot, 'dist')) / 1024),
      unit: 'KiB',
    });
    return { name: 'cold start', figures };
  } finally {
    probe.server.close();
  }
}
