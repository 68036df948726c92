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
