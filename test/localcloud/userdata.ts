import type { ConsoleWrite, Ec2Readings, ScriptPlan } from './state.js';

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
 *   # localcloud: sysprep-fail <code>  (Run Command) a later EC2Launch sysprep here exits <code>
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
        case 'sysprep-fail':
          plan.sysprepFailCode = Number.parseInt(arg, 10) || 1;
          break;
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

type CloudInit = Ec2Readings['cloudInit'];

/** The version each reading prints: upstream as Ubuntu 24.04 LTS ships it, Amazon Linux 2023's, Amazon Linux 2's. */
const CLOUD_INIT_VERSION: Record<CloudInit, string> = {
  current: '25.1.4-0ubuntu0~24.04.1',
  '22.2': '22.2.2',
  '19.3': '19.3-46.amzn2',
};

/**
 * What cloud-init writes to the console when a user-data part exits non-zero (FIDELITY.md cites
 * the source): its console handler logs WARNING and above as `<file>[WARNING]: <message>`. Up to
 * 20.2 `util.runparts` logged each failing part; since then `subp.runparts` logs it at DEBUG, so
 * only the module's failure shows, named `scripts_user` since 23.3 (`scripts-user` before).
 */
function cloudInitFailure(reading: CloudInit, exitCode: number, at: Date): string[] {
  const scripts = '/var/lib/cloud/instance/scripts';
  if (reading === 'current') {
    const stamp = `${at
      .toISOString()
      .replace('T', ' ')
      .replace(/\.(\d{3})Z$/, ',$1')} - `;
    const mod =
      "<module 'cloudinit.config.cc_scripts_user' from '/usr/lib/python3/dist-packages/cloudinit/config/cc_scripts_user.py'>";
    return [
      `cloud-init[1204]: ${stamp}cc_scripts_user.py[WARNING]: Failed to run module scripts_user (scripts in ${scripts})`,
      `cloud-init[1204]: ${stamp}log_util.py[WARNING]: Running module scripts_user (${mod}) failed`,
    ];
  }
  const py = reading === '19.3' ? 'python2.7' : 'python3.9';
  const mod = `<module 'cloudinit.config.cc_scripts_user' from '/usr/lib/${py}/site-packages/cloudinit/config/cc_scripts_user.py'>`;
  return [
    ...(reading === '19.3'
      ? [`cloud-init[1204]: util.py[WARNING]: Failed running ${scripts}/part-001 [${exitCode}]`]
      : []),
    `cloud-init[1204]: cc_scripts_user.py[WARNING]: Failed to run module scripts-user (scripts in ${scripts})`,
    `cloud-init[1204]: util.py[WARNING]: Running module scripts-user (${mod}) failed`,
  ];
}

/** Console lines of a boot, in the style of cloud-init (Linux) or EC2Launch (Windows). */
export function bootConsole(
  windows: boolean,
  instanceId: string,
  at: Date,
  cloudInit: CloudInit = 'current',
): string[] {
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
    `Cloud-init v. ${CLOUD_INIT_VERSION[cloudInit]} running 'init' at ${at.toUTCString()}. Up 4.21 seconds.`,
    `ci-info: ${instanceId} network up`,
  ];
}

export function scriptConsole(
  windows: boolean,
  plan: ScriptPlan,
  at: Date,
  finished: boolean,
  cloudInit: CloudInit = 'current',
): string[] {
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
  if (plan.exitCode !== 0) lines.push(...cloudInitFailure(cloudInit, plan.exitCode, at));
  lines.push(
    `cloud-init[1204]: Cloud-init v. ${CLOUD_INIT_VERSION[cloudInit]} finished at ${at.toUTCString()}. Datasource DataSourceEc2Local.  Up 31.40 seconds`,
  );
  return lines;
}
