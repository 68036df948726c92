import type { RollResult } from '../../../src/roll/result.js';
import { renderRollSummary } from '../../../src/roll/summary.js';

const base = {
  region: 'us-east-1',
  amiId: 'ami-0123456789abcdef0',
  instances: { total: 2, onAmi: 0 },
  before: { source: {}, pinned: {} },
};

const result: RollResult = {
  dryRun: false,
  amiIds: { 'us-east-1': 'ami-0123456789abcdef0' },
  asgNames: ['api', 'web', 'worker'],
  groups: [
    {
      ...base,
      group: 'web',
      status: 'refresh-started',
      imageSource: 'launch-template',
      refreshId: 'rf-1',
      template: {
        id: 'lt-1',
        name: 'web',
        requested: '$Latest',
        previousVersion: 4,
        version: 5,
        created: true,
      },
    },
    {
      ...base,
      group: 'worker',
      status: 'refresh-started',
      imageSource: 'ssm-parameter',
      refreshId: 'rf-2',
      template: { id: 'lt-2', requested: '3', previousVersion: 3, created: false },
    },
    {
      ...base,
      group: 'api',
      status: 'already-current',
      imageSource: 'launch-template',
      template: { id: 'lt-3', name: 'api', requested: '9', previousVersion: 9, version: 9, created: false },
    },
  ],
  refreshes: [],
};

describe('roll summary', () => {
  it('has one row per group with its template versions and refresh id', () => {
    const md = renderRollSummary(result);
    expect(md).toContain('### roll-asg: 2 refresh(es) started, 1 group(s) already current');
    expect(md).toContain(
      '| us-east-1 | web | web (lt-1) | ami-0123456789abcdef0 | 4 ($Latest) | 5 (new) | `rf-1` | 🔄 refresh started |',
    );
    expect(md).toContain(
      '| us-east-1 | worker | lt-2 | SSM → ami-0123456789abcdef0 | 3 | unchanged (image from SSM) | `rf-2` | 🔄 refresh started |',
    );
    expect(md).toContain(
      '| us-east-1 | api | api (lt-3) | ami-0123456789abcdef0 | 9 | 9 |  | ✅ already current |',
    );
  });

  it('says when nothing was changed', () => {
    const md = renderRollSummary({
      ...result,
      dryRun: true,
      groups: [{ ...result.groups[0]!, status: 'would-refresh', refreshId: undefined }],
    });
    expect(md).toContain('### roll-asg: dry run, 1 group(s) would be refreshed');
    expect(md).toContain('📝 would refresh');
  });

  it('heads a failed roll with ❌ and its one line, once', () => {
    const md = renderRollSummary(result, 'api: StartInstanceRefresh refused');
    expect(
      md.startsWith('### ❌ roll-asg: failed; 2 refresh(es) started, 1 group(s) already current\n\n'),
    ).toBe(true);
    expect(md).toContain('**Failed:** api: StartInstanceRefresh refused');
    expect(md.match(/❌ roll-asg/g)).toHaveLength(1);
  });
});
