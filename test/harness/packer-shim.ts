// A `packer` for e2e tests that speaks Packer >= 1.7's `packer init` over Debian's Packer 1.6.6,
// which has neither init nor required_plugins (it builds amazon-ebs itself). init is recorded
// (there is no plugin registry to reach); build refuses a template declaring required_plugins
// until init ran for it, then runs the real Packer on a copy without the packer {} block, beside
// the original so path.root and relative paths read the same files.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localcloudEnv, runActionStep, type ActionRun, type CancelPlan } from './run-action.js';

const SCRIPT = `#!/bin/sh
set -e
log="$PACKER_SHIM_LOG"
if [ "$1" = init ]; then
  echo "init $2" >> "$log"
  echo "Installed plugin github.com/hashicorp/amazon (shim)"
  exit 0
fi
[ "$1" = build ] || exec /usr/bin/packer "$@"
for last; do :; done
strip() { perl -0pe 's/^packer\\s*\\{.*?^\\}\\n//ms' "$1"; }
if grep -qs required_plugins "$last" "$last"/*.pkr.hcl; then
  if ! grep -qx "init $last" "$log" 2>/dev/null; then
    echo "Error: Missing plugins: run packer init $last" >&2
    exit 1
  fi
  if [ -d "$last" ]; then
    copy="\${last%/}.shim"
    rm -rf "$copy"; cp -r "$last" "$copy"
    for f in "$copy"/*.pkr.hcl; do strip "$f" > "$f.tmp"; mv "$f.tmp" "$f"; done
  else
    copy="\${last%.pkr.hcl}.shim.pkr.hcl"
    strip "$last" > "$copy"
  fi
  echo "build $last" >> "$log"
  n=$#; i=0
  for a; do i=$((i+1)); if [ $i -lt $n ]; then set -- "$@" "$a"; fi; done
  shift $n
  exec /usr/bin/packer "$@" "$copy"
fi
echo "build $last" >> "$log"
exec /usr/bin/packer "$@"
`;

/** Writes the shim as `<dir>/bin/packer`; put that first on PATH and PACKER_SHIM_LOG in the env. */
export function installPackerShim(dir: string): { binDir: string; log: string } {
  const binDir = join(dir, 'bin');
  mkdirSync(binDir, { recursive: true });
  writeFileSync(join(binDir, 'packer'), SCRIPT);
  chmodSync(join(binDir, 'packer'), 0o755);
  return { binDir, log: join(dir, 'packer-shim.log') };
}

/** A bake-ami step with engine: packer against localcloud (Packer's endpoint and waiters aimed at it). */
export function packerBakeStep(
  lcUrl: string,
  workdir: string,
  o: {
    name: string;
    /** The shipped JSON template unless given. */
    template?: string;
    inputs?: Record<string, string>;
    env?: Record<string, string>;
    cancel?: CancelPlan;
    /** The SDK's attempts for Packer's waiters (AWS_MAX_ATTEMPTS). */
    maxAttempts?: number;
    post?: boolean;
  },
): Promise<ActionRun> {
  return runActionStep('bake-ami', {
    inputs: {
      name: o.name,
      'source-ami-filter': 'al2023-ami-*-kernel-6.1-x86_64',
      'poll-interval': '0.05',
      engine: 'packer',
      'packer-template': o.template ?? 'image/packer/golden-linux.json',
      'packer-vars': `custom_endpoint_ec2=${lcUrl}`,
      ...o.inputs,
    },
    env: {
      ...localcloudEnv(lcUrl),
      CHECKPOINT_DISABLE: '1',
      PACKER_CACHE_DIR: join(workdir, '_packer'),
      AWS_POLL_DELAY_SECONDS: '1',
      AWS_MAX_ATTEMPTS: String(o.maxAttempts ?? 120),
      ...o.env,
    },
    workdir,
    ...(o.cancel ? { cancel: o.cancel } : {}),
    ...(o.post !== undefined ? { post: o.post } : {}),
  });
}
