// src/roll/version-ledger.ts: one new version per template, source version and AMI; at the end the
// unused ones are deleted, the used ones made default when asked, an unsure one kept and named.
import { describe, expect, test } from '@jest/globals';
import {
  CreateLaunchTemplateVersionCommand,
  DeleteLaunchTemplateVersionsCommand,
  ModifyLaunchTemplateCommand,
} from '@aws-sdk/client-ec2';
import { finishVersions, VersionLedger } from '../../../src/roll/version-ledger.js';
import { ec2, mockedContext, refreshIs } from './mocked.js';

const ctx = mockedContext();
const t = (id: string, version = 3) => ({ id, requested: String(version), version });
const AMI = 'ami-00000000000000002';

describe('VersionLedger', () => {
  test('groups sharing a template, source version and AMI share one new version', async () => {
    let n = 3;
    ec2
      .on(CreateLaunchTemplateVersionCommand)
      .callsFake(async () => ({ LaunchTemplateVersion: { VersionNumber: ++n } }));
    const ledger = new VersionLedger();
    const [a, b, c] = await Promise.all([
      ledger.versionFor(ctx, 'us-east-1', t('lt-1'), AMI),
      ledger.versionFor(ctx, 'us-east-1', t('lt-1'), AMI),
      ledger.versionFor(ctx, 'eu-west-1', t('lt-1'), AMI),
    ]);
    expect([a, b, c]).toEqual([4, 4, 5]);
    expect(ec2.commandCalls(CreateLaunchTemplateVersionCommand)).toHaveLength(2);
  });

  test('finishVersions: unused deleted, used made default, one a start may be using kept and named', async () => {
    let n = 10;
    ec2
      .on(CreateLaunchTemplateVersionCommand)
      .callsFake(async () => ({ LaunchTemplateVersion: { VersionNumber: ++n } }));
    ec2.on(DeleteLaunchTemplateVersionsCommand).resolves({});
    ec2.on(ModifyLaunchTemplateCommand).resolves({});
    // The unanswered start did reach AWS: its refresh deploys lt-3 version 13.
    refreshIs({
      InstanceRefreshId: 'rf-1',
      Status: 'InProgress',
      DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: 'lt-3', Version: '13' } },
    });
    const ledger = new VersionLedger();
    const used = await ledger.versionFor(ctx, 'us-east-1', t('lt-1'), AMI);
    const unused = await ledger.versionFor(ctx, 'us-east-1', t('lt-2'), AMI);
    const unsure = await ledger.versionFor(ctx, 'us-east-1', t('lt-3'), AMI);
    ledger.use({ region: 'us-east-1', templateId: 'lt-1', version: used });
    ledger.maybeUsed({ region: 'us-east-1', templateId: 'lt-3', version: unsure }, 'web');
    const problems = await finishVersions(ctx, ledger, true);
    expect(ec2.commandCalls(ModifyLaunchTemplateCommand).map((c) => c.args[0].input)).toEqual([
      { LaunchTemplateId: 'lt-1', DefaultVersion: String(used) },
    ]);
    expect(ec2.commandCalls(DeleteLaunchTemplateVersionsCommand).map((c) => c.args[0].input)).toEqual([
      { LaunchTemplateId: 'lt-2', Versions: [String(unused)] },
    ]);
    expect(problems).toEqual([
      expect.stringMatching(
        /^kept launch template lt-3 version 13 in us-east-1: StartInstanceRefresh for web got no clear answer/,
      ),
    ]);
  });
});
