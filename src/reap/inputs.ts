// The reap-octopus-orphans inputs and outputs.
import { boolean, choice, integer, list, region, regionList, string } from '../core/input-fields.js';
import { defineAction, type Inputs } from '../core/inputs.js';
import { octopusUrlProblem } from '../octopus/client.js';
import { INSTANCE_STATES } from './instances.js';

// Live instances are never orphans, whatever the input says.
const REAPABLE = INSTANCE_STATES.filter((s) => s !== 'running' && s !== 'pending');

export const reapSpec = defineAction({
  name: 'reap-octopus-orphans',
  inputs: {
    'octopus-url': string({
      description: 'Octopus server URL. Default: OCTOPUS_URL (exported by OctopusDeploy/login).',
      env: ['OCTOPUS_URL'],
      required: true,
      pattern: /^https?:\/\/\S+$/,
      accepted: 'the Octopus server URL (https://octopus.example.com)',
    }),
    'octopus-api-key': string({
      description:
        'Octopus API key. Default: OCTOPUS_API_KEY. Give this or octopus-access-token; the API key wins when both are set. Masked before anything is logged.',
      env: ['OCTOPUS_API_KEY'],
      secret: true,
    }),
    'octopus-access-token': string({
      description:
        'Octopus OIDC access token, sent as a bearer token. Default: OCTOPUS_ACCESS_TOKEN (exported by OctopusDeploy/login). Masked before anything is logged.',
      env: ['OCTOPUS_ACCESS_TOKEN'],
      secret: true,
    }),
    space: string({
      description: 'Octopus space, by name or id (Spaces-N).',
      default: 'Default',
      maxLength: 200,
    }),
    environments: list({
      description:
        'Octopus environment names to clean, one per line or comma-separated. Every page of their targets is read.',
      required: true,
      unique: true,
      accepted: 'Octopus environment names',
    }),
    roles: list({
      description:
        'Only targets with any of these roles (target tags), one per line or comma-separated. Default: every role.',
      unique: true,
    }),
    // Matched as a whole token (see mapping.ts): EC2 ids are i- and 8 or 17 hex digits.
    'instance-id-pattern': string({
      description:
        'With match-by instance-id: the regular expression that finds the instance id in a target name, matched as a whole token (no letter or digit either side). Default: i- and 8 or 17 hex digits, as EC2 ids are.',
      default: 'i-[0-9a-f]{8}([0-9a-f]{9})?',
      maxLength: 200,
    }),
    'match-by': choice(['instance-id', 'private-ip', 'private-dns'] as const, {
      description:
        'How a target maps to its instance: instance-id (in its name), private-ip or private-dns (the host of its listening tentacle URI). Targets that map to nothing are reported and left alone.',
      default: 'instance-id',
    }),
    regions: regionList({
      description:
        "AWS regions to look in first, one per line or comma-separated. An instance not found there is looked for in the region its target's address names (an EC2 host name such as ip-10-0-0-1.us-west-2.compute.internal), else in every region enabled for the account; only then is it not-found. Default: region.",
      maxItems: 30,
    }),
    region: region('AWS region (default for regions). Default: AWS_REGION or AWS_DEFAULT_REGION.'),
    'reap-states': list({
      description:
        'Instance states that make a target an orphan, from terminated, shutting-down, not-found, stopped, stopping. Add stopped only when no instance is ever stopped on purpose. Running and pending are never reaped.',
      default: 'terminated,shutting-down,not-found',
      unique: true,
      pattern: new RegExp(`^(${REAPABLE.join('|')})$`),
      accepted: `${REAPABLE.join(', ')} (running and pending instances are never reaped)`,
    }),
    'max-reap': integer({
      description:
        'Most targets one run may delete. When more look orphaned, the step fails, lists them and deletes nothing.',
      default: '10',
      min: 0,
      max: 100_000,
    }),
    'max-reap-percent': integer({
      description:
        'Most targets one run may delete, as a percentage of the targets that map to an instance. Over it, the step fails and deletes nothing (a wrong account makes every target look orphaned).',
      default: '50',
      min: 0,
      max: 100,
    }),
    'dry-run': boolean({
      description: 'List the orphans (output orphans, job summary) without deleting anything.',
      default: 'false',
    }),
  },
  outputs: {
    reaped:
      'JSON array of the targets deleted: [{"machineId","name","instanceId","state"}]. Targets already gone from Octopus count as deleted.',
    'reaped-count': 'How many targets were deleted (0 in a dry run).',
    'kept-count': 'How many targets in scope were left in place (live, unmappable, or not deleted).',
    orphans:
      'JSON array of every target found orphaned, deleted or not (the list a dry run would delete), same shape as reaped.',
  },
  rules: [{ atLeastOne: ['octopus-api-key', 'octopus-access-token'] }],
  check(v, problem) {
    const url = octopusUrlProblem(v.octopusUrl);
    if (url) problem(`octopus-url: ${url}`);
    try {
      new RegExp(v.instanceIdPattern);
    } catch (err) {
      problem(`instance-id-pattern: is not a regular expression (${(err as Error).message})`);
    }
    if (!v.reapStates.length) problem('reap-states: names no state; accepted: ' + REAPABLE.join(', '));
  },
});

export type ReapInputs = Inputs<typeof reapSpec.inputs>;
