import type { ConsoleWrite, ScriptPlan } from './state.js';

/**
 * How localcloud "runs" user data: it does not execute anything, it reads the script. A script
 * that shuts the machine down (shutdown/poweroff/halt, Stop-Computer, EC2Launch sysprep
 * --shutdown) stops the instance after the provisioning time; `# localcloud:` directives script
 * failures. Directives (one per line, case-insensitive):
 *
 *   # localcloud: console <text>       print <text> to the console output when the script runs
 *   # localcloud: exit <code>          the script fails with <code> (so its shutdown never runs)
 *   # localcloud: hang                 the script never finishes
 *   # localcloud: terminate            the instance terminates while the script runs
 *   # localcloud: provision-ms <n>     the script takes <n> ms instead of the configured duration
 *   # localcloud: image-fail <reason>  images created from this instance end `failed`
 */
const DIRECTIVE = /^\s*(?:#|rem\b|::)\s*localcloud:\s*([a-z-]+)\s*(.*)$/i;
const SHUTDOWN = [
  /\bshutdown\b(?![^\n]*\s(-r|\/r|--reboot)\b)/i,
  /\bpoweroff\b/i,
  /\bhalt\b/i,
  /\bStop-Computer\b/i,
  /\bsysprep\b[^\n]*--shutdown\b/i,
  /SysprepInstance\.ps1/i,
];

export function emptyPlan(): ScriptPlan {
  return { shutdown: false, hang: false, terminate: false, exitCode: 0, consoleLines: [] };
}

export function decodeUserData(base64: string | undefined): string {
  if (!base64) return '';
  return Buffer.from(base64, 'base64').toString('utf8');
}

/** The text an `echo` or `Write-Console` prints: its quoted or bare argument. */
function printed(line: string, command: RegExp): string | undefined {
  const m = new RegExp(`${command.source}\\s+(?:"([^"]*)"|'([^']*)'|([^>;|]*))`, 'i').exec(line);
  if (!m) return undefined;
  return (m[1] ?? m[2] ?? m[3] ?? '').trim();
}

/**
 * What a script writes to the console, as AWS shows it: on Linux the console shows what goes to
 * /dev/console (an `echo … > /dev/console`, or every `echo` once the script sends its output
 * there with `exec`); on Windows `Write-Output` never reaches it ("the instance console output
 * includes the last three system event log errors"), only a write to the serial port, which the
 * image scripts do with a `Write-Console` function. Writes in an error trap (`trap '…' ERR` on
 * one line, a `trap { … }` block in PowerShell) happen only when the script fails.
 */
function consoleWrites(script: string): { writes: ConsoleWrite[]; shutdownOnFailure: boolean } {
  const lines = script.split(/\r?\n/);
  const allToConsole = lines.some((l) => /^\s*exec\b.*\/dev\/console/.test(l));
  const writes: ConsoleWrite[] = [];
  let shutdownOnFailure = false;
  let sawExit = false;
  let inTrap = false;
  for (const raw of lines) {
    const line = raw.trim();
    if (/^#\s*localcloud:\s*exit\b/i.test(line)) sawExit = true;
    if (/^trap\s*\{/i.test(line)) inTrap = true;
    const trapLine = inTrap || /^trap\s+['"]/.test(line);
    if (inTrap && line === '}') inTrap = false;
    if (trapLine && SHUTDOWN.some((re) => re.test(line))) shutdownOnFailure = true;
    if (line.startsWith('#') || /^function\b/i.test(line)) continue;
    const linux = /\becho\b/.test(line) && (allToConsole || line.includes('/dev/console'));
    const text = linux ? printed(line, /\becho/) : printed(line, /\bWrite-Console/);
    if (text === undefined) continue;
    writes.push({ text, when: trapLine ? 'failure' : sawExit ? 'success' : 'always' });
  }
  return { writes, shutdownOnFailure };
}

/** Throws with a message naming the line for a directive it does not know, so typos fail loudly. */
export function planFromScript(script: string): ScriptPlan {
  const plan = emptyPlan();
  const { writes, shutdownOnFailure } = consoleWrites(script);
  if (writes.length) plan.consoleWrites = writes;
  if (shutdownOnFailure) plan.shutdownOnFailure = true;
  for (const raw of script.split(/\r?\n/)) {
    const line = raw.trim();
    const directive = DIRECTIVE.exec(line);
    if (directive) {
      const name = directive[1]!.toLowerCase();
      const arg = directive[2]!.trim();
      switch (name) {
        case 'console':
          plan.consoleLines.push(arg);
          break;
        case 'exit':
          plan.exitCode = Number.parseInt(arg, 10) || 1;
          break;
        case 'hang':
          plan.hang = true;
          break;
        case 'terminate':
          plan.terminate = true;
          break;
        case 'provision-ms': {
          const ms = Number(arg);
          if (!Number.isFinite(ms) || ms < 0)
            throw new Error(`localcloud directive provision-ms needs a number: "${line}"`);
          plan.provisionMs = ms;
          break;
        }
        case 'image-fail':
          plan.imageFailReason = arg || 'localcloud: image creation failed';
          break;
        default:
          throw new Error(`unknown localcloud directive "${name}" in user data line "${line}"`);
      }
      continue;
    }
    // Comments (shell, PowerShell, batch) never shut anything down.
    if (line === '' || (line.startsWith('#') && !line.startsWith('#!')) || /^rem\b/i.test(line)) continue;
    if (SHUTDOWN.some((re) => re.test(line))) plan.shutdown = true;
  }
  return plan;
}

/** Console lines of a boot, in the style of cloud-init (Linux) or EC2Launch (Windows). */
export function bootConsole(windows: boolean, instanceId: string, at: Date): string[] {
  if (windows) {
    return [
      `${at.toISOString()} Info: EC2LaunchV2 service is starting`,
      `${at.toISOString()} Info: Windows is being configured for ${instanceId}`,
      `${at.toISOString()} Info: Windows is Ready to use`,
    ];
  }
  return [
    `[    0.000000] Linux version 6.1.119-localcloud (gcc 11.4.1) #1 SMP`,
    `[    2.103120] systemd[1]: Detected virtualization amazon.`,
    `Cloud-init v. 22.2.2 running 'init' at ${at.toUTCString()}. Up 4.21 seconds.`,
    `ci-info: ${instanceId} network up`,
  ];
}

export function scriptConsole(windows: boolean, plan: ScriptPlan, at: Date, finished: boolean): string[] {
  const failed = plan.exitCode !== 0;
  const writes = (plan.consoleWrites ?? []).filter(
    (w) => w.when === 'always' || (finished && w.when === (failed ? 'failure' : 'success')),
  );
  const lines = [...plan.consoleLines, ...writes.map((w) => w.text)];
  if (!finished) return lines;
  if (windows) {
    lines.push(
      plan.exitCode === 0
        ? `${at.toISOString()} Info: User data script completed.`
        : `${at.toISOString()} Error: User data script failed with exit code ${plan.exitCode}.`,
    );
    return lines;
  }
  if (plan.exitCode !== 0) {
    lines.push(
      `cloud-init[1204]: util.py[WARNING]: Failed running /var/lib/cloud/instance/scripts/part-001 [${plan.exitCode}]`,
    );
    lines.push(`cloud-init[1204]: cc_scripts_user.py[WARNING]: Failed to run module scripts-user`);
  }
  lines.push(
    `Cloud-init v. 22.2.2 finished at ${at.toUTCString()}. Datasource DataSourceEc2Local.  Up 31.40 seconds`,
  );
  return lines;
}
