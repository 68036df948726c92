// Outside text in the log cannot issue workflow commands; printUntrusted's block passes as written.
import { describe, expect, it } from '@jest/globals';
import { commandSafe, oneLine, printUntrusted } from '../../../src/core/untrusted.js';
import type { Log } from '../../../src/core/log.js';

/** What the runner would read as commands: lines starting (after blanks) with `::`, outside stop-commands. */
function commandsIn(out: string[]): string[] {
  let resume: string | undefined;
  const found: string[] = [];
  for (const line of out.join('\n').split(/\r\n|\n|\r/)) {
    const l = line.trimStart();
    if (resume) {
      if (l === resume) resume = undefined;
      continue;
    }
    const stop = /^::stop-commands::(.+)$/.exec(l);
    if (stop) resume = `::${stop[1]}::`;
    else if (l.startsWith('::')) found.push(l);
  }
  return found;
}

describe('commandSafe', () => {
  it('neutralizes a command at the start of any line of a message', () => {
    const out: string[] = [];
    const info = commandSafe((m) => void out.push(m));
    info('::warning::from a group name: refreshing');
    info('web-production\n  ::add-mask::x\r::set-output name=a::b (us-east-1)');
    info('no command: a::b');
    expect(commandsIn(out)).toEqual([]);
    expect(out.at(-1)).toBe('no command: a::b');
    expect(out[0]).toBe(':\u200b:warning::from a group name: refreshing');
  });

  it("lets printUntrusted's stop-commands block through as written", () => {
    const out: string[] = [];
    const log = { info: commandSafe((m) => void out.push(m)) } as Log;
    printUntrusted(log, ['::save-state name=images::[]', 'plain']);
    log.info('::error::after the block');
    expect(out[1]).toBe('::save-state name=images::[]');
    expect(commandsIn(out)).toEqual([]);
  });
});

it('oneLine escapes control characters', () => {
  expect(oneLine('a\nb\r\u0085c')).toBe('a\\u000ab\\u000d\\u0085c');
});
