// The policy files this project ships, and the roles its README tells users to build from them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../harness/action-metadata.js';
import type { PolicyDocument } from '../../localcloud/iam.js';

const root = repoRoot;

const read = (path: string) => JSON.parse(readFileSync(join(root, path), 'utf8')) as PolicyDocument;

/** Every actions/<name>/iam-policy*.json and the root action's put-back policy, by repository path. */
export const POLICY_FILES: Record<string, PolicyDocument> = Object.fromEntries(
  [
    ...readdirSync(join(root, 'actions')).flatMap((action) =>
      readdirSync(join(root, 'actions', action))
        .filter((f) => /^iam-policy.*\.json$/.test(f))
        .map((f) => `actions/${action}/${f}`),
    ),
    'iam-policy.json',
  ].map((path) => [path, read(path)]),
);

/** The organization policies that reserve the golden-ami:* tag keys for the pipeline's roles. */
export const ORG_POLICIES = {
  scp: read('org-policies/scp-reserved-tags.json'),
  rcp: read('org-policies/rcp-refresh-events-queue.json'),
};

const pick = (...paths: string[]) => Object.fromEntries(paths.map((p) => [p, POLICY_FILES[p]!]));

/**
 * The roles of the README's "one role per trust boundary" table: what each GitHub environment's role
 * holds. deploy-ami's role is the union of the four actions it composes plus its put-back statement.
 */
export const ROLES = {
  bake: pick(
    'actions/bake-ami/iam-policy.json',
    'actions/promote-ami-parameter/iam-policy.json',
    'actions/retire-amis/iam-policy.json',
  ),
  'bake-packer': pick(
    'actions/bake-ami/iam-policy.json',
    'actions/bake-ami/iam-policy-packer.json',
    'actions/promote-ami-parameter/iam-policy.json',
  ),
  'bake-packer-1.6': pick(
    'actions/bake-ami/iam-policy.json',
    'actions/bake-ami/iam-policy-packer-1.6.json',
    'actions/promote-ami-parameter/iam-policy.json',
  ),
  retire: pick('actions/retire-amis/iam-policy.json'),
  deploy: pick(
    'actions/promote-ami-parameter/iam-policy.json',
    'actions/roll-asg/iam-policy.json',
    'actions/wait-healthy/iam-policy.json',
    'actions/reap-octopus-orphans/iam-policy.json',
    'iam-policy.json',
  ),
} satisfies Record<string, Record<string, PolicyDocument>>;

export type Role = keyof typeof ROLES;

/** Each action's own policy, for the calls that action makes on its own. */
export const ACTION_POLICY = {
  'bake-ami': pick('actions/bake-ami/iam-policy.json'),
  'bake-ami (packer)': pick('actions/bake-ami/iam-policy.json', 'actions/bake-ami/iam-policy-packer.json'),
  'bake-ami (packer 1.6.6)': pick(
    'actions/bake-ami/iam-policy.json',
    'actions/bake-ami/iam-policy-packer-1.6.json',
  ),
  'promote-ami-parameter': pick('actions/promote-ami-parameter/iam-policy.json'),
  'roll-asg': pick('actions/roll-asg/iam-policy.json'),
  'wait-healthy': pick('actions/wait-healthy/iam-policy.json'),
  'reap-octopus-orphans': pick('actions/reap-octopus-orphans/iam-policy.json'),
  'retire-amis': pick('actions/retire-amis/iam-policy.json'),
  'deploy-ami': ROLES.deploy,
} satisfies Record<string, Record<string, PolicyDocument>>;

export type ActionName = keyof typeof ACTION_POLICY;
