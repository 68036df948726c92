// Peers are small TypeScript scripts in bench/peers/, bundled the way dist/ is (esbuild, ESM, SDK
// inside) and run as their own node process, so they start and run on the same terms as an action.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const bundled = new Map<string, string>();

export async function bundlePeer(name: string): Promise<string> {
  const known = bundled.get(name);
  if (known) return known;
  const outfile = join(mkdtempSync(join(tmpdir(), 'gaa-peer-')), `${name}.mjs`);
  await build({
    entryPoints: [join(here, 'peers', `${name}.ts`)],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    mainFields: ['module', 'main'],
    minify: true,
    banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
    logLevel: 'warning',
  });
  bundled.set(name, outfile);
  return outfile;
}

export interface PeerRun {
  ms: number;
  exitCode: number | null;
  /** The peer's last stdout line, parsed as JSON (its report). */
  report: Record<string, unknown>;
  stderr: string;
}

/** Runs a bundled peer with exactly `env` (plus PATH); bounded by `timeoutMs`. */
export async function runPeer(
  name: string,
  env: Record<string, string>,
  timeoutMs = 600_000,
): Promise<PeerRun> {
  const file = await bundlePeer(name);
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [file], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exitCode = await new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  clearTimeout(timer);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const last = stdout.trim().split('\n').at(-1) ?? '';
  let report: Record<string, unknown> = {};
  try {
    report = JSON.parse(last) as Record<string, unknown>;
  } catch {
    throw new Error(`peer ${name} printed no report (exit ${exitCode}): ${stderr.slice(-2000)}`);
  }
  return { ms, exitCode, report, stderr };
}
