// The repository settings our workflows expect (variables, secrets, environments), pointed at a
// localcloud: what a user sets under Settings → Secrets and variables, and Environments.
import type { Localcloud } from '../localcloud/index.js';
import { DEFAULT_API_KEY } from '../localcloud/octopus/auth.js';
import { REGION } from './fleet.js';
import type { EnvironmentSettings, RunnerOptions } from './types.js';

/** A deployment environment's settings: its role, and the Octopus server and key it reaps with. */
function deployEnvironment(lc: Localcloud, name: string): EnvironmentSettings {
  return {
    vars: {
      AWS_ROLE_ARN: `arn:aws:iam::000000000000:role/golden-ami-${name}`,
      OCTOPUS_URL: `${lc.url}/octopus`,
    },
    secrets: { OCTOPUS_API_KEY: DEFAULT_API_KEY },
  };
}

export function pipelineOptions(lc: Localcloud, extra: Partial<RunnerOptions> = {}): RunnerOptions {
  return {
    awsEndpointUrl: lc.url,
    // No role at repository level: a job that assumes one outside its environment fails.
    vars: {
      AWS_REGION: REGION,
      // localcloud's instances boot in under a second: poll accordingly.
      GOLDEN_AMI_POLL_SECONDS: '0.3',
      GOLDEN_AMI_MAX_POLL_SECONDS: '1',
      // bake-ami's polls as often as localcloud's sub-second phases need (the stand-in for
      // configure-aws-credentials tells bake-ami localcloud's time scale, GOLDEN_AMI_TIME_SCALE).
      GOLDEN_AMI_BAKE_POLL_SECONDS: '0.05',
      ...extra.vars,
    },
    secrets: { ...extra.secrets },
    // One role per trust boundary, and the Octopus settings where they are used. Production has
    // required reviewers; bake and staging run without a gate.
    environments: {
      bake: { vars: { AWS_ROLE_ARN: 'arn:aws:iam::000000000000:role/golden-ami-bake' } },
      staging: deployEnvironment(lc, 'staging'),
      production: { ...deployEnvironment(lc, 'production'), reviewers: true },
      ...extra.environments,
    },
    ...(extra.approve ? { approve: extra.approve } : {}),
    ...(extra.event ? { event: extra.event } : {}),
    ...(extra.onEvent ? { onEvent: extra.onEvent } : {}),
  };
}
