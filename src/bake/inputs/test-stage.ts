// bake-ami's test stage inputs (test-user-data, test-user-data-file, test-script); inputs.ts spreads them in.
import { healthUrl, string } from '../../core/input-fields.js';
import type { Inputs } from '../../core/inputs.js';

export const testInputs = {
  'test-user-data': string({
    description:
      "Test stage: user data for one instance launched from the new AMI (the bake's subnet, security groups, instance profile and type) before anything is copied or shared. It proves success as the build does: it ends by shutting the instance down, a failure-marker line fails it, and when it prints BAKE-SUCCEEDED that line must be seen. A failed test deregisters the AMI and its snapshots and fails the bake in phase test. Part of the fingerprint.",
  }),
  'test-user-data-file': string({
    description: 'A file holding the test user data (instead of test-user-data).',
  }),
  'test-health-url': healthUrl(
    "Test stage, with test-script: after the script passed, the test instance must answer this URL with 2xx within 30 poll intervals (5 minutes at the default), e.g. http://{private-ip}:8080/health. The runner must reach the instance's private address.",
  ),
  'test-script': string({
    description:
      'Test stage: a script file run over SSM Run Command on one instance launched from the new AMI (shell on Linux, PowerShell on Windows; needs iam-instance-profile); a non-zero exit code fails the bake in phase test and removes the AMI. Part of the fingerprint.',
  }),
};

/** At most one test form; a Run Command test needs an instance profile to reach SSM. */
export function checkTestInputs(
  v: Inputs<typeof testInputs> & { iamInstanceProfile?: string },
  problem: (message: string) => void,
): void {
  const given = (['test-user-data', 'test-user-data-file', 'test-script'] as const).filter(
    (_, i) => [v.testUserData, v.testUserDataFile, v.testScript][i] !== undefined,
  );
  if (given.length > 1) problem(`${given.join(' and ')}: give at most one`);
  if (v.testHealthUrl !== undefined && v.testScript === undefined)
    problem(
      'test-health-url: needs test-script (test user data shuts the instance down, so nothing would answer)',
    );
  if (v.testScript !== undefined && !v.iamInstanceProfile)
    problem(
      'test-script: needs iam-instance-profile (Run Command reaches the test instance only through one that allows SSM)',
    );
}
