import { describe, expect, it } from '@jest/globals';
import { seconds } from '../../../src/core/summary.js';

describe('seconds', () => {
  it.each([
    [0, '0s'],
    [59_940, '59.9s'],
    [60_000, '1m0s'],
    [179_600, '3m0s'],
    [119_500, '2m0s'],
    [125_400, '2m5s'],
  ])('%d ms is %s (never 2m60s)', (ms, text) => {
    expect(seconds(ms)).toBe(text);
  });
});
