// When promote-ami-parameter turns on deregistration protection.
import { describe, expect, it } from '@jest/globals';
import { shouldProtect } from '../../../src/promote/protect.js';

describe('shouldProtect', () => {
  it('auto protects only labels named in protected-labels', () => {
    expect(shouldProtect('auto', 'production', ['production'])).toBe(true);
    expect(shouldProtect('auto', 'staging', ['production'])).toBe(false);
    expect(shouldProtect('auto', undefined, ['production'])).toBe(false);
  });
  it('true and false override the label', () => {
    expect(shouldProtect('true', undefined, [])).toBe(true);
    expect(shouldProtect('false', 'production', ['production'])).toBe(false);
  });
});
