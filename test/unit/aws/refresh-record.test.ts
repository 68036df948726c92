import { newVersionOf, parseRefreshes } from '../../../src/health/watched-refresh.js';
import { InputProblem } from '../../../src/core/input-fields.js';
import { validateRefreshRecords, type RefreshRecord } from '../../../src/aws/refresh-record.js';

const record: RefreshRecord = {
  region: 'eu-west-1',
  group: 'web',
  refreshId: '0b5f6c1e-3f5e-4d0b-9a8e-7a2f1d6c9e01',
  amiId: 'ami-0123456789abcdef0',
  previousAmiId: 'ami-0fedcba9876543210',
  imageSource: 'launch-template',
  launchTemplate: { id: 'lt-0123456789abcdef0', name: 'web', version: '7' },
  newVersion: '7',
  previousVersion: '6',
};

describe('the refreshes record', () => {
  it('survives the JSON round trip of an output', () => {
    expect(validateRefreshRecords(JSON.parse(JSON.stringify([record])))).toEqual([record]);
  });

  it('is read by wait-healthy with the version and AMI it must check', () => {
    const [watched] = parseRefreshes(JSON.parse(JSON.stringify([record]))) as RefreshRecord[];
    expect(watched).toEqual(record);
    expect(newVersionOf(watched!)).toBe('7');
  });

  it('names what is missing in a hand-written entry', () => {
    const bad = validateRefreshRecords([record, { region: 'us-east-1', group: 'api' }]);
    expect(bad).toBeInstanceOf(InputProblem);
    expect((bad as InputProblem).message).toBe('entry 1 needs "region", "group", "refreshId" and "amiId"');
    expect((validateRefreshRecords({}) as InputProblem).message).toBe('is not a JSON list');
    expect(
      (validateRefreshRecords([{ ...record, launchTemplate: { id: 'lt-1' } }]) as InputProblem).message,
    ).toBe('entry 0 has a "launchTemplate" without "id" and "version"');
  });
});
