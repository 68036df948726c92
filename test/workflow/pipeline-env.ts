// The repository settings our workflows expect (variables, secrets, environments), pointed at a
// localcloud: what a user sets under Settings → Secrets and variables, and Environments.
import type { Localcloud } from '../localcloud/index.js';
import { DEFAULT_API_KEY } from '../localcloud/octopus/auth.js';
import { REGION } from './fleet.js';
import type { RunnerOptions } from './types.js';

export function pipelineOptions(lc: Localcloud, extra: Partial<RunnerOptions> = {}): RunnerOptions {
  return {
    awsEndpointUrl: lc.url,
    vars: {
      AWS_ROLE_ARN: 'arn:aws:iam::000000000000:role/golden-ami-pipeline',
      AWS_REGION: REGION,
      OCTOPUS_URL: `${lc.url}/octopus`,
      // localcloud's instances boot in under a second: poll accordingly.
      GOLDEN_AMI_POLL_SECONDS: '0.3',
      GOLDEN_AMI_MAX_POLL_SECONDS: '1',
      ...extra.vars,
    },
    secrets: { OCTOPUS_API_KEY: DEFAULT_API_KEY, ...extra.secrets },
    // Production has required reviewers; staging deploys without a gate.
    environments: { staging: {}, production: { reviewers: true }, ...extra.environments },
    ...(extra.approve ? { approve: extra.approve } : {}),
    ...(extra.event ? { event: extra.event } : {}),
    ...(extra.onEvent ? { onEvent: extra.onEvent } : {}),
  };
}
