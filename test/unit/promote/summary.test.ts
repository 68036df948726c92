import { renderPromoteSummary } from '../../../src/promote/summary.js';

describe('renderPromoteSummary', () => {
  it('shows old -> new per region with versions and labels', () => {
    const md = renderPromoteSummary({
      parameterName: '/golden-ami/web',
      dryRun: false,
      changed: true,
      regions: [
        {
          region: 'us-east-1',
          amiId: 'ami-b',
          outcome: 'updated',
          previousAmiId: 'ami-a',
          previousVersion: 4,
          version: 5,
          label: { name: 'prod', previousVersion: 4, moved: true },
          changed: true,
          notes: [],
        },
        {
          region: 'eu-west-1',
          amiId: 'ami-c',
          outcome: 'created',
          version: 1,
          changed: true,
          notes: ['tagging failed'],
        },
      ],
    });
    expect(md).toContain('### promote `/golden-ami/web`');
    expect(md).toContain('| us-east-1 | `ami-a` (v4) | `ami-b` (v5) | prod: v4 → v5 | updated |');
    expect(md).toContain('| eu-west-1 | — | `ami-c` (v1) |  | created |');
    expect(md).toContain('- eu-west-1: tagging failed');
  });

  it('marks a dry run as a plan and a failure with its line', () => {
    const md = renderPromoteSummary(
      {
        parameterName: 'web',
        dryRun: true,
        changed: false,
        regions: [
          {
            region: 'us-east-1',
            amiId: 'ami-a',
            outcome: 'rolled-back',
            previousAmiId: 'ami-b',
            previousVersion: 2,
            label: { name: 'prod', previousVersion: 2, moved: true },
            changed: false,
            notes: [],
          },
        ],
      },
      'boom',
    );
    expect(md).toContain('### ❌ Plan: promote `web`: failed');
    expect(md).toContain('Dry run: nothing was written.');
    expect(md).toContain(
      '| us-east-1 | `ami-b` (v2) | `ami-a` | prod: v2 → the new version (planned) | would roll back (allow-older) |',
    );
    expect(md).toContain('**Failed:** boom');
  });
});
