// The one region-name pattern every action's inputs use.
import { REGION } from '../../../src/core/input-fields.js';

describe('REGION', () => {
  it.each([
    'us-east-1',
    'eu-west-1',
    'ap-southeast-7',
    'us-gov-west-1',
    'cn-northwest-1',
    'eu-isoe-west-1',
    'us-isob-east-1',
    'mx-central-1',
    'il-central-1',
  ])('accepts %s', (r) => expect(REGION.test(r)).toBe(true));

  it.each(['us-east-99', 'us-est-1', 'us-east', 'mars-1', 'US-EAST-1', 'us-east-1a', ''])('refuses %s', (r) =>
    expect(REGION.test(r)).toBe(false),
  );
});
