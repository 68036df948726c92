// A MixedInstancesPolicy group with an override template and an instances distribution, on the
// brownfield estate: a health-url check failing after its refresh ended Successful is put back by a
// refresh back that carries the whole policy — every observable of the estate (launch sources with
// overrides and distribution, both templates' versions, the AMIs instances run, labels) reads as
// before, and no version the run made is left on either template.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { localcloudEnv, runActionStep } from '../harness/run-action.js';
import { start, type Localcloud } from '../localcloud/index.js';
import { diffFromBefore, settledSnapshot } from '../support/observables.js';
import { buildEstate, ENVIRONMENT, PARAMETER, PRIMARY, type Estate } from './brownfield.js';
import { estateScope, FAST_DURATIONS } from './interruptions.js';

jest.setTimeout(240_000);

const HTTP_PORT = 18591;

describe('a mixed-instances group failing a check after its refresh ended Successful', () => {
  let lc: Localcloud;
  let estate: Estate;

  beforeAll(async () => {
    lc = await start({ port: 0, seed: 91, durations: FAST_DURATIONS, instanceHttpPort: HTTP_PORT });
    estate = await buildEstate(lc);
  });
  afterAll(() => lc.stop());

  test('is refreshed back with its policy, overrides and distribution as they were; no version left', async () => {
    const scope = estateScope(lc, estate);
    const before = await settledSnapshot(scope);
    const r = await runActionStep('deploy-ami', {
      inputs: {
        'ami-id': estate.newAmi,
        'parameter-name': PARAMETER,
        environment: ENVIRONMENT,
        region: PRIMARY,
        'asg-names': 'web-mixed',
        'health-url': `http://{private-ip}:${HTTP_PORT}/version`,
        'expected-version': '9.9.9',
        'unhealthy-grace': '1',
        timeout: '2m',
        'poll-interval': '0.2',
        'max-poll-interval': '0.5',
      },
      env: localcloudEnv(lc.url, PRIMARY),
    });
    expect(`${r.outputs.status}\n${r.errors.join('\n')}`).toMatch(/^rolled-back\n/);
    expect(r.errors[0]).toMatch(/web-mixed: refreshed back .*deleted launch template/);
    const starts = lc.logs.mutations
      .query({ operation: 'StartInstanceRefresh' })
      .map(
        (m) =>
          m.params as { DesiredConfiguration?: { MixedInstancesPolicy?: unknown; LaunchTemplate?: unknown } },
      );
    // The refresh and the refresh back both carry the MixedInstancesPolicy, never LaunchTemplate alone.
    expect(starts.length).toBeGreaterThanOrEqual(2);
    for (const s of starts) {
      expect(s.DesiredConfiguration?.MixedInstancesPolicy).toBeDefined();
      expect(s.DesiredConfiguration?.LaunchTemplate).toBeUndefined();
    }
    expect(diffFromBefore(before, await settledSnapshot(scope))).toEqual([]);
  });
});
