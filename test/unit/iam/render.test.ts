// Rendering the shipped policies for another pipeline leaves none of the example's values behind.
import { expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLE, renderPolicy, shippedPolicyFiles } from '../../../scripts/render-iam-policies.js';
import { repoRoot } from '../../harness/action-metadata.js';

const other = {
  account: '111122223333',
  parameter: '/golden-ami/api',
  bakeName: 'golden-api',
  queue: 'api-refresh-events',
  instanceRole: 'api-instance',
  builderRole: 'api-builder',
  builderVpc: 'vpc-0fedcba9876543210',
  sourceOwners: ['amazon', '111122223333'],
};

it('renders every shipped policy for another pipeline, naming only its values', () => {
  const files = shippedPolicyFiles();
  expect(files).toHaveLength(11);
  for (const file of files) {
    const shipped = JSON.parse(readFileSync(join(repoRoot, file), 'utf8')) as unknown;
    expect(renderPolicy(shipped, EXAMPLE)).toEqual(shipped);
    const text = JSON.stringify(renderPolicy(shipped, other));
    for (const v of [
      EXAMPLE.account,
      EXAMPLE.parameter,
      EXAMPLE.bakeName,
      EXAMPLE.queue,
      EXAMPLE.instanceRole,
      EXAMPLE.builderVpc,
    ])
      expect([file, text.includes(v)]).toEqual([file, false]);
  }
  const bake = renderPolicy(
    JSON.parse(readFileSync(join(repoRoot, 'actions/bake-ami/iam-policy.json'), 'utf8')) as {
      Statement: Array<{ Sid: string; Condition?: Record<string, Record<string, unknown>> }>;
    },
    other,
  );
  const owners = bake.Statement.find((s) => s.Sid === 'LaunchFromImagesOfAllowedOwners')!;
  expect(owners.Condition!.StringEquals!['ec2:Owner']).toEqual(['amazon', '111122223333']);
});

it('replaces each example value once: a new value that spells another example value stays', () => {
  const doc = { Resource: 'arn:aws:ssm:*:123456789012:parameter/golden-ami/web', Name: 'golden-web' };
  const rendered = renderPolicy(doc, {
    ...EXAMPLE,
    parameter: '/golden-web',
    bakeName: 'api',
    account: '111122223333',
  });
  expect(rendered).toEqual({ Resource: 'arn:aws:ssm:*:111122223333:parameter/golden-web', Name: 'api' });
});
