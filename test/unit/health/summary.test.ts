import { memoryLog } from '../../../src/core/log.js';
import { renderSummary, resultsOutput } from '../../../src/health/summary.js';
import { waitHealthy } from '../../../src/health/wait.js';
import { FakeFleet } from './fake-fleet.js';
import { virtualClock } from './virtual-clock.js';

describe('job summary', () => {
  it('has a table per group and a gantt timeline with the refresh, checkpoints, verification and rollback', async () => {
    const clock = virtualClock();
    const fleet = new FakeFleet(clock);
    fleet.startRefresh(fleet.addGroup('eu-west-1', 'web', { desired: 4 }), '2', { checkpoints: [50, 100] });
    fleet.bad.add('3');
    fleet.amis.set('3', 'ami-00000000000000003');
    fleet.startRefresh(fleet.addGroup('eu-west-1', 'api'), '3');
    const result = await waitHealthy(
      { clients: fleet.clients, clock, log: memoryLog(), signal: new AbortController().signal },
      { asgNames: ['web', 'api'], pollIntervalSeconds: 5, unhealthyGraceSeconds: 30 },
    );
    const md = renderSummary(result);

    expect(result.status).toBe('rolled-back');
    expect(md).toMatch(/^### ↩️ wait-healthy: rolled-back\n\n- eu-west-1\/api: rolled-back: /);
    expect(md).toContain('#### eu-west-1/web\n\n|  |  |\n| --- | --- |\n| Outcome | ✅ healthy |');
    expect(md).toContain('| Outcome | ↩️ rolled-back |');
    expect(md).toContain('| Group template version now | 1 |');
    const gantt = md.slice(md.indexOf('```mermaid'));
    expect(gantt).toMatch(
      /section eu-west-1\/web\n {2}refresh Successful :done, r\d, \d+, \d+\n {2}checkpoint 50% :milestone, c\d_0, \d+, \d+\n {2}verify :done, v\d, \d+, \d+/,
    );
    expect(gantt).toMatch(
      /section eu-west-1\/api\n {2}refresh RollbackSuccessful :active, r\d, \d+, \d+\n {2}rollback :crit, b\d, \d+, \d+/,
    );
    expect(resultsOutput(result).map((g) => Object.keys(g).length)).toEqual([22, 22]);
  });
});
