// The environment Packer runs in: the runner's, without what would let a build speak for the step.

/**
 * The runner's file commands (GITHUB_STATE, GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH,
 * GITHUB_STEP_SUMMARY) are files any process may append to: a template's shell-local step could
 * rewrite the saved state the post step cleans up by, or the step's outputs. The runtime and OIDC
 * tokens would let it act as the job. Packer needs none of them.
 */
const WITHHELD = /^(GITHUB_(STATE|OUTPUT|ENV|PATH|STEP_SUMMARY)|ACTIONS_[A-Z_]*(TOKEN|URL)|STATE_.*)$/i;

export function packerEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !WITHHELD.test(name)));
}
