// Local stand-ins for the third-party actions our workflows use and the local runner cannot run.
// Each sets what the real action leaves behind for later steps (environment, PATH, outputs) and
// nothing more, so the steps after it run unchanged:
//   actions/checkout                        the workspace already is the working tree: nothing to do
//   actions/setup-node                      the runner's Node is used: nothing to do
//   aws-actions/configure-aws-credentials   AWS_REGION/AWS_DEFAULT_REGION from aws-region, dummy
//                                           session credentials, AWS_ENDPOINT_URL of the local cloud,
//                                           output aws-account-id; fails without role-to-assume or
//                                           keys, as the real action does. Debian's AWS CLI 2.9
//                                           predates AWS_ENDPOINT_URL, so an `aws` wrapper passing
//                                           --endpoint-url goes first on PATH.
//   hashicorp/setup-packer                  puts the installed packer on PATH, output version
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { LOCALCLOUD_TIME_SCALE } from '../harness/run-action.js';

export interface StandInContext {
  inputs: Record<string, string>;
  env: Record<string, string>;
  /** The job's RUNNER_TEMP, for files the stand-in creates. */
  runnerTemp: string;
  /** Where localcloud listens (AWS_ENDPOINT_URL), when the run targets it. */
  awsEndpointUrl?: string;
}

export interface StandInResult {
  exportedEnv: Record<string, string>;
  path: string[];
  outputs: Record<string, string>;
  secrets: string[];
  lines: string[];
}

type StandIn = (ctx: StandInContext) => StandInResult;

const nothing =
  (line: string): StandIn =>
  () => ({ exportedEnv: {}, path: [], outputs: {}, secrets: [], lines: [line] });

export class StandInError extends Error {}

const configureAwsCredentials: StandIn = (ctx) => {
  const region = ctx.inputs['aws-region'] ?? '';
  if (!region) throw new StandInError('Input required and not supplied: aws-region');
  const role = ctx.inputs['role-to-assume'] ?? '';
  if (!role && !ctx.inputs['aws-access-key-id'])
    throw new StandInError(
      'Credentials could not be loaded, please check your action inputs: role-to-assume is empty',
    );
  const exportedEnv: Record<string, string> = {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: 'ASIALOCALCLOUD000000',
    AWS_SECRET_ACCESS_KEY: 'localcloud-stand-in-secret-000000000000',
    AWS_SESSION_TOKEN: 'localcloud-stand-in-session-token',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const path: string[] = [];
  if (ctx.awsEndpointUrl) {
    exportedEnv.AWS_ENDPOINT_URL = ctx.awsEndpointUrl;
    exportedEnv.GOLDEN_AMI_TIME_SCALE = LOCALCLOUD_TIME_SCALE;
    const bin = join(ctx.runnerTemp, 'stand-in-bin');
    mkdirSync(bin, { recursive: true });
    const real = ['/usr/bin/aws', '/usr/local/bin/aws'].find(existsSync) ?? 'aws';
    writeFileSync(join(bin, 'aws'), `#!/bin/sh\nexec ${real} --endpoint-url "$AWS_ENDPOINT_URL" "$@"\n`);
    chmodSync(join(bin, 'aws'), 0o755);
    path.push(bin);
  }
  return {
    exportedEnv,
    path,
    outputs: { 'aws-account-id': '000000000000' },
    secrets: [exportedEnv.AWS_SECRET_ACCESS_KEY!, exportedEnv.AWS_SESSION_TOKEN!],
    lines: [
      `stand-in: credentials for ${role || 'the given keys'} in ${region}${ctx.awsEndpointUrl ? ` at ${ctx.awsEndpointUrl}` : ''}`,
    ],
  };
};

const setupPacker: StandIn = (ctx) => {
  const searchPath = (ctx.env.PATH ?? '').split(delimiter);
  const packer = [...searchPath.map((d) => join(d, 'packer')), '/usr/bin/packer'].find(existsSync);
  if (!packer) throw new StandInError('packer is not installed here (apt-get install packer)');
  const version = execFileSync(packer, ['version'], { encoding: 'utf8' }).trim().split('\n')[0] ?? '';
  return {
    exportedEnv: {},
    path: [dirname(packer)],
    outputs: { version },
    secrets: [],
    lines: [`stand-in: ${version} from ${packer}`],
  };
};

const STAND_INS: Record<string, StandIn> = {
  'actions/checkout': nothing('stand-in: the workspace is the working tree'),
  'actions/setup-node': nothing(`stand-in: using Node ${process.version}`),
  'aws-actions/configure-aws-credentials': configureAwsCredentials,
  'hashicorp/setup-packer': setupPacker,
};

/** The stand-in for `uses: owner/repo[/path]@ref`, or undefined when there is none. */
export function standInFor(uses: string): StandIn | undefined {
  const [name] = uses.split('@');
  return STAND_INS[(name ?? '').toLowerCase()];
}
