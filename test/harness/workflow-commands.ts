// Parses what a step printed the way the runner does: ::command props::message lines.

export interface WorkflowCommands {
  errors: string[];
  warnings: string[];
  notices: string[];
  debug: string[];
  masks: string[];
  groups: string[];
  /** `::save-state name=X::value` lines (deprecated, still honoured by the runner). */
  stdoutState?: Record<string, string>;
}

/** Inverse of @actions/core's escapeData/escapeProperty. */
const unescape = (s: string) =>
  s
    .replace(/%0D/g, '\r')
    .replace(/%0A/g, '\n')
    .replace(/%3A/g, ':')
    .replace(/%2C/g, ',')
    .replace(/%25/g, '%');

export function parseCommands(stdout: string): WorkflowCommands {
  const out: WorkflowCommands = {
    errors: [],
    warnings: [],
    notices: [],
    debug: [],
    masks: [],
    groups: [],
    stdoutState: {},
  };
  // Between `::stop-commands::<token>` and `::<token>::` the runner processes no command.
  let stoppedBy: string | undefined;
  for (const line of stdout.split(/\r?\n/)) {
    if (stoppedBy !== undefined) {
      if (line === `::${stoppedBy}::`) stoppedBy = undefined;
      continue;
    }
    const m = /^::([a-z-]+)( [^:]*)?::(.*)$/.exec(line);
    if (!m) continue;
    const [, command, props = '', data = ''] = m;
    const message = unescape(data);
    if (command === 'stop-commands') stoppedBy = data;
    const name = /\bname=([^,]+)/.exec(props)?.[1];
    if (command === 'save-state' && name) out.stdoutState = { ...out.stdoutState, [name]: message };
    if (command === 'error') out.errors.push(message);
    else if (command === 'warning') out.warnings.push(message);
    else if (command === 'notice') out.notices.push(message);
    else if (command === 'debug') out.debug.push(message);
    else if (command === 'add-mask') out.masks.push(message);
    else if (command === 'group') out.groups.push(message);
  }
  return out;
}

/** Reads a GITHUB_OUTPUT / GITHUB_STATE / GITHUB_ENV file: `k=v` lines and `k<<DELIM` heredocs. */
export function parseKeyValueFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line) continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, key, delim] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i]!);
      if (i >= lines.length) throw new Error(`unterminated heredoc for ${key} in command file`);
      out[key!] = value.join('\n');
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`malformed command file line: ${line}`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}
