// Consent to be rolled: a group found by tags alone must carry golden-ami:parameter=<the image's
// parameter>; a named group has consented by being named. Nothing changes when one has not.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ActionFailure, ConfigurationError } from '../../../src/core/errors.js';
import { parseInputs } from '../../../src/core/inputs.js';
import { rollSpec } from '../../../src/roll/inputs.js';
import { rollOptionsFrom } from '../../../src/roll/options.js';
import { requireConsent } from '../../../src/roll/consent.js';
import { roll } from '../../../src/roll/roll.js';
import type { SelectedGroup } from '../../../src/roll/select-groups.js';
import { NEW, startRollCloud, type RollCloud } from './cloud.js';

const parse = (inputs: Record<string, string>) => {
  const all: Record<string, string> = { region: 'us-east-1', 'poll-interval': '1', ...inputs };
  return parseInputs(rollSpec, { input: (n) => all[n] ?? '', env: () => undefined });
};

let cloud: RollCloud;
beforeAll(async () => {
  cloud = await startRollCloud();
});
afterAll(() => cloud.stop());
beforeEach(() => cloud.reset());

function fleet() {
  const web = cloud.group({ name: 'web', tags: { Environment: 'production' }, consent: '/golden-ami/web' });
  cloud.group({ name: 'payments', tags: { Environment: 'production' } });
  cloud.group({ name: 'api', tags: { Environment: 'production' }, consent: '/golden-ami/api' });
  return { lt: web.launchTemplateId };
}

describe('roll-asg consent', () => {
  it('takes the consent value from consent-parameter, else from ami-parameter without its label', () => {
    expect(
      rollOptionsFrom(parse({ 'asg-tags': 'A=b', 'ami-parameter': '/golden-ami/web:staging' })).consent,
    ).toBe('/golden-ami/web');
    expect(
      rollOptionsFrom(parse({ 'asg-tags': 'A=b', 'ami-id': NEW, 'consent-parameter': 'golden-ami/web' }))
        .consent,
    ).toBe('/golden-ami/web');
    expect(rollOptionsFrom(parse({ 'asg-names': 'web', 'ami-id': NEW })).consent).toBeUndefined();
  });

  it('requires consent-parameter when tags select groups and ami-id gives the AMI', () => {
    expect(() => parse({ 'asg-tags': 'Environment=production', 'ami-id': NEW })).toThrow(ConfigurationError);
    expect(() => parse({ 'asg-tags': 'Environment=production', 'ami-id': NEW })).toThrow(
      /consent-parameter: is required when asg-tags selects groups/,
    );
  });

  it('lists every matched group without consent, with what it lacks, and changes nothing', async () => {
    const { lt } = fleet();
    const err = await roll(
      cloud.context(),
      rollOptionsFrom(
        parse({
          'asg-tags': 'Environment=production',
          'ami-id': NEW,
          'consent-parameter': '/golden-ami/web',
        }),
      ),
    ).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(ActionFailure);
    expect((err as Error).message).toBe(
      'asg-tags matched 2 group(s) that have not consented to be rolled onto /golden-ami/web: ' +
        'us-east-1/api: golden-ami:parameter=/golden-ami/api, not /golden-ami/web; us-east-1/payments: no golden-ami:parameter tag. ' +
        'Nothing was changed. Tag a group golden-ami:parameter=/golden-ami/web to let this pipeline roll it, or name it in asg-names.',
    );
    expect(cloud.template(lt).versions.size).toBe(1);
    for (const g of ['web', 'payments', 'api']) expect(cloud.refreshes(g)).toEqual([]);
    expect(cloud.mutations()).toEqual([]);
  });

  it('rolls the groups that consent by tag, and a named group without the tag', async () => {
    fleet();
    const byTag = await roll(
      cloud.context(),
      rollOptionsFrom(
        parse({
          'asg-tags': 'golden-ami:parameter=/golden-ami/web',
          'ami-id': NEW,
          'consent-parameter': '/golden-ami/web',
        }),
      ),
    );
    expect(byTag.refreshes.map((x) => x.group)).toEqual(['web']);
    const named = await roll(
      cloud.context(),
      rollOptionsFrom(parse({ 'asg-names': 'payments', 'ami-id': NEW })),
    );
    expect(named.refreshes.map((x) => x.group)).toEqual(['payments']);
    expect(cloud.refreshes('payments')).toHaveLength(1);
  });

  it('refuses every tag-selected group when a caller gives no consent value', () => {
    const group: SelectedGroup = {
      region: 'us-east-1',
      name: 'web',
      group: {
        AutoScalingGroupName: 'web',
        MinSize: 0,
        MaxSize: 1,
        DesiredCapacity: 1,
        DefaultCooldown: 300,
        AvailabilityZones: [],
        HealthCheckType: 'EC2',
        CreatedTime: new Date(0),
        Tags: [{ Key: 'golden-ami:parameter', Value: '/golden-ami/web' }],
      },
    };
    expect(() => requireConsent([group], '')).toThrow(
      'asg-tags matched us-east-1/web, but no consent-parameter says which golden-ami:parameter tag lets a group be rolled; nothing was changed.',
    );
    expect(() => requireConsent([group], '/golden-ami/web')).not.toThrow();
  });
});
