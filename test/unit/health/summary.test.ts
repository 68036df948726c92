// The job summary of a real wait (localcloud in-process, ./cloud.ts): one group healthy through a
// checkpoint, one rolled back off an image whose instances fail their health checks.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { renderSummary, resultsOutput } from '../../../src/health/summary.js';
import { waitHealthy } from '../../../src/health/wait.js';
import { startHealthCloud, type HealthCloud } from './cloud.js';

let cloud: HealthCloud;
beforeAll(async () => {
  cloud = await startHealthCloud();
});
afterAll(() => cloud.stop());

describe('job summary', () => {
  it('has a table per group and a gantt timeline with the refresh, checkpoints, verification and rollback', async () => {
    const region = 'us-east-1';
    const bad = cloud.ownImage(region, 'api-bad', 'unhealthy');
    await cloud.rollout(
      {
        region,
        name: 'web',
        desired: 4,
        preferences: { CheckpointPercentages: [50, 100], CheckpointDelay: 0 },
      },
      // Auto Scaling waits out a long grace period: wait-healthy finds the unhealthy instance first.
      { region, name: 'api', desired: 3, to: bad, healthCheckGracePeriod: 600 },
    );
    const result = await waitHealthy(cloud.context(), {
      asgNames: ['web', 'api'],
      pollIntervalMs: 5000,
      unhealthyGraceMs: 30_000,
    });
    const md = renderSummary(result);

    expect(result.status).toBe('rolled-back');
    expect(md).toMatch(/^### ↩️ wait-healthy: rolled-back\n\n- us-east-1\/api: rolled-back: /);
    expect(md).toContain('#### us-east-1/web\n\n|  |  |\n| --- | --- |\n| Outcome | ✅ healthy |');
    expect(md).toContain('| Outcome | ↩️ rolled-back |');
    expect(md).toContain('| Group template version now | 1 |');
    const gantt = md.slice(md.indexOf('```mermaid'));
    expect(gantt).toMatch(
      /section us-east-1\/web\n {2}refresh Successful \(desired configuration applied\) :done, r\d, \d+, \d+\n {2}checkpoint 50% :milestone, c\d_0, \d+, \d+\n {2}verify :done, v\d, \d+, \d+/,
    );
    expect(gantt).toMatch(
      /section us-east-1\/api\n {2}refresh RollbackSuccessful :active, r\d, \d+, \d+\n {2}rollback :crit, b\d, \d+, \d+/,
    );
    expect(resultsOutput(result).map((g) => Object.keys(g).length)).toEqual([24, 24]);
  });
});
