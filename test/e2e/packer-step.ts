// A bake-ami step with engine packer, the shipped template by default, pointed at localcloud.
import { join } from 'node:path';
import { localcloudEnv, runActionStep, type CancelPlan } from '../harness/run-action.js';
import type { Localcloud } from '../localcloud/index.js';

export function packerStep(
  lc: Localcloud,
  workdir: string,
  o: {
    name: string;
    template?: string;
    inputs?: Record<string, string>;
    cancel?: CancelPlan;
    maxAttempts?: number;
    post?: boolean;
  },
) {
  return runActionStep('bake-ami', {
    inputs: {
      name: o.name,
      'source-ami-filter': 'al2023-ami-*-kernel-6.1-x86_64',
      'poll-interval-seconds': '0.05',
      engine: 'packer',
      'packer-template': o.template ?? 'image/packer/golden-linux.json',
      'packer-vars': `custom_endpoint_ec2=${lc.url}`,
      ...o.inputs,
    },
    env: {
      ...localcloudEnv(lc.url),
      CHECKPOINT_DISABLE: '1',
      PACKER_CACHE_DIR: join(workdir, '_packer'),
      AWS_POLL_DELAY_SECONDS: '1',
      AWS_MAX_ATTEMPTS: String(o.maxAttempts ?? 120),
    },
    workdir,
    ...(o.cancel ? { cancel: o.cancel } : {}),
    ...(o.post !== undefined ? { post: o.post } : {}),
  });
}
