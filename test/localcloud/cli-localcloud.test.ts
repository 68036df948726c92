// `npm run localcloud` runs test/localcloud/cli.ts: it must print the listening line once ready,
// serve AWS and Octopus on that port, and exit cleanly on SIGTERM.
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { EC2Client, DescribeRegionsCommand } from '@aws-sdk/client-ec2';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let child: ChildProcess | undefined;

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

/** Resolves with the first stdout line matching `re` (bounded by the process exiting). */
function lineMatching(proc: ChildProcess, re: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const match = buffer.match(re);
      if (match) resolve(match);
    });
    proc.once('exit', (code) =>
      reject(new Error(`localcloud exited (${code}) before printing ${re}: ${buffer}`)),
    );
  });
}

describe('localcloud CLI', () => {
  it('prints its URL once listening, serves requests, and stops on SIGTERM', async () => {
    // One process (no npm/tsx wrappers) so the signal reaches localcloud itself.
    child = spawn(process.execPath, ['--import', 'tsx', 'test/localcloud/cli.ts', '--port', '0'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const match = await lineMatching(child, /localcloud listening on (http:\/\/127\.0\.0\.1:(\d+))/);
    const url = match[1]!;
    expect(Number(match[2])).toBeGreaterThan(0);

    const health = await fetch(`${url}/_localcloud/health`);
    expect(await health.json()).toEqual({ ok: true });
    const ec2 = new EC2Client({
      region: 'eu-central-1',
      endpoint: url,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const regions = await ec2.send(new DescribeRegionsCommand({ RegionNames: ['eu-central-1'] }));
    expect(regions.Regions?.map((r) => r.RegionName)).toEqual(['eu-central-1']);
    ec2.destroy();
    const octopus = await fetch(`${url}/octopus/api`);
    expect(octopus.status).toBe(200);

    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });
});
