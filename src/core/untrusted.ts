// Prints text that comes from outside the action (build output) so it cannot issue workflow commands.
import { randomBytes } from 'node:crypto';
import type { Log } from './log.js';

/**
 * Build output (Run Command stdout, Packer output, console lines) is written by whatever the
 * build runs: a line such as `::save-state name=…::` would otherwise reach the runner as a
 * command. GitHub's `::stop-commands::<token>` turns command processing off until `::<token>::`;
 * a fresh random token per batch cannot be guessed by the text in between.
 */
export function printUntrusted(log: Log, lines: readonly string[]): void {
  const shown = lines.filter((l) => l.trim());
  if (!shown.length) return;
  const token = randomBytes(16).toString('hex');
  log.info(`::stop-commands::${token}`);
  for (const line of shown) log.info(line);
  log.info(`::${token}::`);
}

// Matching control characters is the point of this expression.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * Text from outside the action (an Octopus target's or space's name) shown inside one log line:
 * control characters are written as \uXXXX escapes, since a newline in a name would start a line
 * the runner reads as a workflow command.
 */
export function oneLine(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const STOP = /^::stop-commands::([0-9a-f]{32})$/;

/**
 * The runner's info writer, made unable to issue workflow commands: a line of a message that starts
 * with `::` (a group or target name can, in an account shared with others) gets a zero-width space
 * after its first colon. printUntrusted's own `::stop-commands::` block passes as written, commands
 * being off inside it.
 */
export function commandSafe(write: (message: string) => void): (message: string) => void {
  let resume: string | undefined;
  return (message) => {
    if (resume) {
      if (message === resume) resume = undefined;
      return write(message);
    }
    const stop = STOP.exec(message);
    if (stop) {
      resume = `::${stop[1]}::`;
      return write(message);
    }
    write(message.replace(/(^|[\r\n])(\s*):(?=:)/g, '$1$2:\u200b'));
  };
}
