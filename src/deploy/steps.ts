// Binds deploy-ami's steps to the capability functions of the four actions. Each step's inputs
// are parsed with that action's own spec, so defaults, rules and error messages are exactly the
// standalone action's; only the wiring between them lives here.
import { parseInputs, type ActionSpec, type Fields, type Inputs } from '../core/inputs.js';
import { InputProblem } from '../core/input-fields.js';
import { resultsOutput } from '../health/summary.js';
import { waitHealthy } from '../health/wait.js';
import { parseRefreshes } from '../health/watched-refresh.js';
import { createOctopusClient } from '../octopus/client.js';
import { promoteOptions } from '../promote/options.js';
import { promoteSpec } from '../promote/inputs.js';
import { promote } from '../promote/promote.js';
import { reapSpec } from '../reap/inputs.js';
import { octopusConnection, reapOptions } from '../reap/options.js';
import { reapOrphans } from '../reap/reap.js';
import { rollSpec } from '../roll/inputs.js';
import { rollOptionsFrom } from '../roll/options.js';
import { roll } from '../roll/roll.js';
import type { DeploySteps } from './deploy.js';
import { groupSelection } from './inputs.js';

type Raw = Record<string, string | number | boolean | undefined>;

/** Parses raw values with another action's spec; unset values fall back to that action's defaults. */
function asAction<F extends Fields>(spec: ActionSpec<F>, raw: Raw): Inputs<F> {
  return parseInputs(spec, {
    input: (name) => (raw[name] === undefined ? '' : String(raw[name])),
    env: () => undefined,
  });
}

const joinMap = (m: Record<string, string>) =>
  Object.entries(m)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');

export const deploySteps: DeploySteps = {
  async reap(ctx, v) {
    const inputs = asAction(reapSpec, {
      'octopus-url': v.octopusUrl,
      'octopus-api-key': v.octopusApiKey,
      'octopus-access-token': v.octopusAccessToken,
      space: v.space,
      environments: (v.octopusEnvironments.length ? v.octopusEnvironments : [v.environment]).join('\n'),
      region: v.region,
      'max-reap': v.maxReap,
      'dry-run': v.dryRun,
    });
    const octopus = createOctopusClient(octopusConnection(inputs), ctx.clock);
    const r = await reapOrphans(
      { ...ctx, clients: { ec2: (region) => ctx.clients.ec2(region), octopus } },
      reapOptions(inputs),
    );
    return { reapedCount: r.reaped.length, keptCount: r.scanned - r.reaped.length };
  },

  async promote(ctx, v) {
    const inputs = asAction(promoteSpec, {
      'parameter-name': v.parameterName,
      'ami-id': v.amiId,
      region: v.region,
      label: v.label ?? v.environment,
      'expected-current': v.expectedCurrent,
      'allow-older': v.allowOlder,
      'dry-run': v.dryRun,
    });
    const r = await promote(ctx, promoteOptions(inputs));
    const region = r.regions[0];
    return {
      ...(region?.previousAmiId ? { previousAmiId: region.previousAmiId } : {}),
      version: region?.version ?? 0,
      changed: r.changed,
    };
  },

  async roll(ctx, v) {
    const groups = groupSelection(v);
    const inputs = asAction(rollSpec, {
      'asg-names': groups.asgNames.join('\n') || undefined,
      'asg-tags': joinMap(groups.asgTags) || undefined,
      'consent-parameter': v.parameterName,
      region: v.region,
      'ami-id': v.amiId,
      'min-healthy-percentage': v.minHealthyPercentage,
      'max-healthy-percentage': v.maxHealthyPercentage,
      'instance-warmup': v.instanceWarmup,
      'checkpoint-percentages': v.checkpointPercentages.join(',') || undefined,
      'checkpoint-delay': v.checkpointDelay,
      'skip-matching': v.skipMatching,
      'auto-rollback': v.autoRollback,
      'bake-time': v.bakeTime,
      'if-refresh-in-progress': v.ifRefreshInProgress,
      'dry-run': v.dryRun,
    });
    const r = await roll(ctx, rollOptionsFrom(inputs));
    return { refreshes: r.refreshes, asgNames: r.asgNames };
  },

  async wait(ctx, v, refreshes) {
    // roll-asg's records go through wait-healthy's own validator, as they would between two steps.
    const watched = parseRefreshes(JSON.parse(JSON.stringify(refreshes)));
    if (watched instanceof InputProblem)
      throw new Error(`bug: roll-asg's refreshes are not what wait-healthy reads: ${watched.message}`);
    const r = await waitHealthy(ctx, {
      refreshes: watched,
      ...(v.healthUrl ? { healthUrl: v.healthUrl } : {}),
      ...(v.expectedVersion ? { expectedVersion: v.expectedVersion } : {}),
      unhealthyGraceSeconds: v.unhealthyGraceSeconds,
      timeoutMinutes: v.timeoutMinutes,
      rollbackOnFailure: v.rollbackOnFailure,
      pollIntervalSeconds: v.pollIntervalSeconds,
      maxPollIntervalSeconds: Math.max(v.pollIntervalSeconds, 60),
    });
    return {
      status: r.status,
      results: resultsOutput(r),
      ...(r.failures.length ? { failure: `${v.environment}: ${r.failures.join(' | ')}` } : {}),
    };
  },
};
