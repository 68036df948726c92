// Binds deploy-ami's steps to the capability functions of the other actions. Until every one of
// them exists in this version, the list of what is missing is exported instead, and the entry fails
// with it: deploy-ami never reports a success it did not achieve.
import type { DeploySteps } from './deploy.js';

export type StepBinding = { steps: DeploySteps } | { missing: string[] };

export function deploySteps(): StepBinding {
  return {
    missing: [
      'promote-ami-parameter (src/promote)',
      'roll-asg (src/roll)',
      'wait-healthy (src/health)',
      'reap-octopus-orphans (src/reap)',
    ],
  };
}
