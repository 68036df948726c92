import type {
  CancelCommandRequest,
  DescribeInstanceInformationRequest,
  GetCommandInvocationRequest,
  ListCommandInvocationsRequest,
  ListCommandsRequest,
  SendCommandRequest,
} from '@aws-sdk/client-ssm';
import type {
  Command,
  CommandInvocation,
  CommandStatus,
  Instance,
  RegionState,
  ScriptPlan,
} from '../state.js';
import { tagValue } from '../state.js';
import { planFromScript } from '../userdata.js';
import { paginate } from './ec2-filters.js';
import { setInstanceState, shutDownFromInside } from './ec2-instances.js';
import { AwsError, type AwsHandler } from './service.js';
import { arr, instance, onAnyResource, type IamMapping } from '../iam-context.js';

/**
 * Run Command over managed instances (any running instance has an online agent): invocations go
 * Pending → InProgress → Success/Failed/TimedOut on the ticker. Commands are read, not executed:
 * `echo` lines become standard output and the user-data directives (exit, hang, console) apply;
 * a shutdown command stops the instance once the invocation finishes.
 */

const DOCUMENTS: Record<string, string> = {
  'AWS-RunShellScript': 'aws:runShellScript',
  'AWS-RunPowerShellScript': 'aws:runPowerShellScript',
};

function managed(instance: Instance): boolean {
  return instance.state === 'running';
}

function targetInstances(region: RegionState, p: SendCommandRequest): Instance[] {
  if (p.InstanceIds?.length) {
    return p.InstanceIds.map((id) => {
      const instance = region.ec2.instances.get(id);
      if (!instance || !managed(instance)) {
        throw new AwsError(
          'InvalidInstanceId',
          `Instances [[${id}]] not in a valid state for account ${region.world.accountId}`,
        );
      }
      return instance;
    });
  }
  const all = [...region.ec2.instances.values()].filter(managed);
  let chosen = all;
  for (const target of p.Targets ?? []) {
    const key = target.Key ?? '';
    const values = target.Values ?? [];
    if (key === 'InstanceIds') chosen = chosen.filter((i) => values.includes(i.instanceId));
    else if (key.startsWith('tag:'))
      chosen = chosen.filter((i) => values.includes(tagValue(i.tags, key.slice(4)) ?? ''));
    else if (key === 'tag-key') chosen = chosen.filter((i) => i.tags.some((t) => values.includes(t.Key)));
    else throw new AwsError('InvalidTarget', `Target key ${key} is not supported by localcloud.`);
  }
  return chosen;
}

function echoOutput(commands: readonly string[]): string {
  return commands
    .flatMap((c) => c.split(/\r?\n/))
    .map((line) => /^\s*(?:echo|Write-Output|Write-Host)\s+(.*)$/i.exec(line)?.[1])
    .filter((x): x is string => x !== undefined)
    .map((x) => x.replace(/^(['"])(.*)\1$/, '$2'))
    .join('\n');
}

const sendCommand: AwsHandler = (req, { region, now }) => {
  const p = req.params as unknown as SendCommandRequest;
  const documentName = p.DocumentName ?? '';
  if (!DOCUMENTS[documentName])
    throw new AwsError('InvalidDocument', `Document with name ${documentName} does not exist.`);
  const commands = p.Parameters?.commands;
  if (!commands?.length)
    throw new AwsError('InvalidParameters', 'Parameter "commands" is required for this document.');
  if (!p.InstanceIds?.length && !p.Targets?.length) {
    throw new AwsError('ValidationException', 'Either InstanceIds or Targets must be specified.');
  }
  let plan;
  try {
    plan = planFromScript(commands.join('\n'));
  } catch (err) {
    throw new AwsError('InvalidParameters', (err as Error).message);
  }
  const instances = targetInstances(region, p);
  const commandId = crypto.randomUUID();
  const timeoutSeconds = p.TimeoutSeconds ?? 3600;
  const command: Command = {
    commandId,
    documentName,
    ...(p.Comment !== undefined ? { comment: p.Comment } : {}),
    parameters: p.Parameters ?? {},
    instanceIds: instances.map((i) => i.instanceId),
    targets: (p.Targets ?? []).map((t) => ({ Key: t.Key ?? '', Values: t.Values ?? [] })),
    requestedAt: now,
    timeoutSeconds,
    invocations: new Map(),
  };
  const output = [echoOutput(commands), ...plan.consoleLines].filter(Boolean).join('\n');
  for (const instance of instances) {
    command.invocations.set(instance.instanceId, {
      commandId,
      instanceId: instance.instanceId,
      instanceName: instance.privateDnsName,
      status: 'Pending',
      statusDetails: 'Pending',
      requestedAt: now,
      responseCode: -1,
      stdout: output,
      stderr: plan.exitCode !== 0 ? `failed to run commands: exit status ${plan.exitCode}` : '',
    });
  }
  region.ssm.commands.set(commandId, command);
  return { Command: commandShape(command) };
};

function commandStatus(command: Command): CommandStatus {
  const statuses = [...command.invocations.values()].map((i) => i.status);
  if (statuses.some((s) => s === 'Pending' || s === 'InProgress'))
    return statuses.every((s) => s === 'Pending') ? 'Pending' : 'InProgress';
  if (statuses.some((s) => s === 'Failed')) return 'Failed';
  if (statuses.some((s) => s === 'TimedOut')) return 'TimedOut';
  if (statuses.some((s) => s === 'Cancelled')) return 'Cancelled';
  return 'Success';
}

function commandShape(command: Command) {
  const invocations = [...command.invocations.values()];
  const done = invocations.filter((i) => !['Pending', 'InProgress'].includes(i.status));
  const status = commandStatus(command);
  return {
    CommandId: command.commandId,
    DocumentName: command.documentName,
    DocumentVersion: '$DEFAULT',
    ...(command.comment !== undefined ? { Comment: command.comment } : {}),
    Parameters: command.parameters,
    InstanceIds: command.instanceIds,
    Targets: command.targets,
    RequestedDateTime: new Date(command.requestedAt),
    Status: status,
    StatusDetails: status,
    TargetCount: invocations.length,
    CompletedCount: done.length,
    ErrorCount: done.filter((i) => i.status === 'Failed').length,
    DeliveryTimedOutCount: 0,
    MaxConcurrency: '50',
    MaxErrors: '0',
    TimeoutSeconds: command.timeoutSeconds,
  };
}

function elapsed(invocation: CommandInvocation): string {
  if (invocation.startedAt === undefined) return '';
  const ms = (invocation.finishedAt ?? invocation.startedAt) - invocation.startedAt;
  return new Date(ms).toISOString().slice(11, 23);
}

function findInvocation(region: RegionState, commandId: string | undefined, instanceId: string | undefined) {
  const command = region.ssm.commands.get(commandId ?? '');
  const invocation = command?.invocations.get(instanceId ?? '');
  if (!command || !invocation) throw new AwsError('InvocationDoesNotExist', '');
  return { command, invocation };
}

const STDOUT_CHARS = 24_000;
const STDERR_CHARS = 8_000;

const getCommandInvocation: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as GetCommandInvocationRequest;
  const { command, invocation } = findInvocation(region, p.CommandId, p.InstanceId);
  const plugin = DOCUMENTS[command.documentName]!;
  if (p.PluginName !== undefined && p.PluginName !== plugin) throw new AwsError('InvalidPluginName', '');
  const iso = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString());
  return {
    CommandId: command.commandId,
    InstanceId: invocation.instanceId,
    ...(command.comment !== undefined ? { Comment: command.comment } : {}),
    DocumentName: command.documentName,
    DocumentVersion: '$DEFAULT',
    PluginName: plugin,
    ResponseCode: invocation.responseCode,
    ExecutionStartDateTime: iso(invocation.startedAt),
    ExecutionElapsedTime: elapsed(invocation),
    ExecutionEndDateTime: iso(invocation.finishedAt),
    Status: invocation.status,
    StatusDetails: invocation.statusDetails,
    // "The first 24,000 characters written by the plugin to stdout", "the first 8,000 … to
    // stderr"; empty until the command has finished.
    StandardOutputContent:
      invocation.finishedAt !== undefined ? invocation.stdout.slice(0, STDOUT_CHARS) : '',
    StandardOutputUrl: '',
    StandardErrorContent: invocation.finishedAt !== undefined ? invocation.stderr.slice(0, STDERR_CHARS) : '',
    StandardErrorUrl: '',
    CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
  };
};

function invocationShape(command: Command, invocation: CommandInvocation, details: boolean | undefined) {
  return {
    CommandId: command.commandId,
    InstanceId: invocation.instanceId,
    InstanceName: invocation.instanceName,
    ...(command.comment !== undefined ? { Comment: command.comment } : {}),
    DocumentName: command.documentName,
    DocumentVersion: '$DEFAULT',
    RequestedDateTime: new Date(invocation.requestedAt),
    Status: invocation.status,
    StatusDetails: invocation.statusDetails,
    StandardOutputUrl: '',
    StandardErrorUrl: '',
    ...(details
      ? {
          CommandPlugins: [
            {
              Name: DOCUMENTS[command.documentName],
              Status: invocation.status,
              StatusDetails: invocation.statusDetails,
              ResponseCode: invocation.responseCode,
              ...(invocation.startedAt !== undefined
                ? { ResponseStartDateTime: new Date(invocation.startedAt) }
                : {}),
              ...(invocation.finishedAt !== undefined
                ? { ResponseFinishDateTime: new Date(invocation.finishedAt) }
                : {}),
              Output:
                invocation.finishedAt !== undefined
                  ? [invocation.stdout, invocation.stderr].filter(Boolean).join('\n')
                  : '',
            },
          ],
        }
      : {}),
  };
}

const listCommandInvocations: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as ListCommandInvocationsRequest;
  const commands = p.CommandId
    ? [region.ssm.commands.get(p.CommandId)].filter((c): c is Command => c !== undefined)
    : [...region.ssm.commands.values()];
  if (p.CommandId && commands.length === 0) throw new AwsError('InvalidCommandId', '');
  const rows = commands.flatMap((c) =>
    [...c.invocations.values()]
      .filter((i) => !p.InstanceId || i.instanceId === p.InstanceId)
      .map((i) => invocationShape(c, i, p.Details)),
  );
  const { page, NextToken } = paginate(rows, p.MaxResults ?? 50, p.NextToken);
  return { CommandInvocations: page, NextToken };
};

const listCommands: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as ListCommandsRequest;
  let commands = [...region.ssm.commands.values()];
  if (p.CommandId) {
    commands = commands.filter((c) => c.commandId === p.CommandId);
    if (commands.length === 0) throw new AwsError('InvalidCommandId', '');
  }
  if (p.InstanceId) commands = commands.filter((c) => c.invocations.has(p.InstanceId!));
  const { page, NextToken } = paginate(commands.reverse().map(commandShape), p.MaxResults ?? 50, p.NextToken);
  return { Commands: page, NextToken };
};

const cancelCommand: AwsHandler = (req, { region, now }) => {
  const p = req.params as unknown as CancelCommandRequest;
  const command = region.ssm.commands.get(p.CommandId ?? '');
  if (!command) throw new AwsError('InvalidCommandId', '');
  for (const invocation of command.invocations.values()) {
    if (p.InstanceIds?.length && !p.InstanceIds.includes(invocation.instanceId)) continue;
    if (invocation.status === 'Pending' || invocation.status === 'InProgress') {
      invocation.status = 'Cancelled';
      invocation.statusDetails = 'Cancelled';
      invocation.finishedAt = now;
    }
  }
  return {};
};

const describeInstanceInformation: AwsHandler = (req, { region, now }) => {
  const p = req.params as unknown as DescribeInstanceInformationRequest;
  // An agent registers once the instance has booted; it stays listed (ConnectionLost) while stopped.
  let instances = [...region.ec2.instances.values()].filter(
    (i) =>
      i.state !== 'terminated' &&
      i.state !== 'shutting-down' &&
      (i.state !== 'pending' || i.console.length > 0),
  );
  const filters = [
    ...(p.InstanceInformationFilterList ?? []).map((f) => ({ Key: f.key, Values: f.valueSet })),
    ...(p.Filters ?? []),
  ];
  for (const f of filters) {
    const values = f.Values ?? [];
    const key = f.Key ?? '';
    if (key === 'InstanceIds') instances = instances.filter((i) => values.includes(i.instanceId));
    else if (key === 'PingStatus')
      instances = instances.filter((i) => values.includes(managed(i) ? 'Online' : 'ConnectionLost'));
    else if (key === 'PlatformTypes')
      instances = instances.filter((i) => values.includes(i.platform === 'windows' ? 'Windows' : 'Linux'));
    else if (key.startsWith('tag:'))
      instances = instances.filter((i) => values.includes(tagValue(i.tags, key.slice(4)) ?? ''));
    else if (key === 'ResourceType') instances = instances.filter(() => values.includes('EC2Instance'));
    else
      throw new AwsError(
        'InvalidInstanceInformationFilterValue',
        `Filter key ${key} is not supported by localcloud.`,
      );
  }
  const rows = instances.map((i) => ({
    InstanceId: i.instanceId,
    PingStatus: managed(i) ? 'Online' : 'ConnectionLost',
    LastPingDateTime: new Date(managed(i) ? now : (i.runningSince ?? i.launchTime)),
    AgentVersion: '3.3.0.0',
    IsLatestVersion: true,
    PlatformType: i.platform === 'windows' ? 'Windows' : 'Linux',
    PlatformName: i.platform === 'windows' ? 'Microsoft Windows Server 2022 Datacenter' : 'Amazon Linux',
    PlatformVersion: i.platform === 'windows' ? '10.0.20348' : '2023',
    ResourceType: 'EC2Instance',
    IPAddress: i.privateIp,
    ComputerName: i.privateDnsName,
  }));
  const { page, NextToken } = paginate(rows, p.MaxResults, p.NextToken);
  return { InstanceInformationList: page, NextToken };
};

/** "exit 3010" (Windows) or "exit 194" (Linux): reboot, then run the script again. */
const REBOOT_CODES: Record<string, number> = { 'AWS-RunPowerShellScript': 3010, 'AWS-RunShellScript': 194 };

/**
 * A script exiting with the reboot code: the agent reboots the instance and, once it is back,
 * runs the script again; the invocation stays InProgress throughout. Once per invocation: the
 * rerun of an idempotent script finds its work done.
 */
function rebootAndRerun(
  region: RegionState,
  command: Command,
  plan: ScriptPlan,
  invocation: CommandInvocation,
  now: number,
): boolean {
  if (invocation.rebooted || plan.exitCode !== REBOOT_CODES[command.documentName]) return false;
  const instance = region.ec2.instances.get(invocation.instanceId);
  if (!instance || instance.state !== 'running') return false;
  invocation.rebooted = true;
  invocation.stderr = '';
  instance.console.push(
    `[${new Date(now).toISOString()}] reboot: Restarting system (SSM Agent, exit ${plan.exitCode})`,
  );
  const d = region.world.durations;
  invocation.endsAt = now + d.instanceBoot + (plan.provisionMs ?? d.commandRun);
  return true;
}

/**
 * The exit code of a finished invocation: the plan's, or for an EC2Launch sysprep on an instance
 * a script left unable to generalise (`sysprep-fail`), that code with EC2Launch's error.
 */
function sysprepExit(
  command: Command,
  plan: ScriptPlan,
  instance: Instance | undefined,
  invocation: CommandInvocation,
): number {
  if (plan.exitCode === 0 && plan.sysprepFailCode !== undefined && instance)
    instance.sysprepFails = plan.sysprepFailCode;
  const commands = ((command.parameters.commands as string[] | undefined) ?? []).join('\n');
  if (plan.exitCode !== 0 || !instance?.sysprepFails || !/ec2launch(\.exe)?"?\s+sysprep\b/i.test(commands))
    return plan.exitCode;
  invocation.stderr = `ec2launch.exe : sysprep failed: exit status ${instance.sysprepFails}`;
  return instance.sysprepFails;
}

/** Moves invocations along: start shortly after sending, finish after commandRun, time out if hung. */
export function tickCommands(region: RegionState, now: number): void {
  const d = region.world.durations;
  for (const command of region.ssm.commands.values()) {
    // Finished commands stay listable but need no more work.
    if ([...command.invocations.values()].every((i) => i.finishedAt !== undefined)) continue;
    const plan = planFromScript(((command.parameters.commands as string[] | undefined) ?? []).join('\n'));
    for (const invocation of command.invocations.values()) {
      if (invocation.status === 'Pending' && now >= invocation.requestedAt + d.commandRun / 4) {
        const instance = region.ec2.instances.get(invocation.instanceId);
        if (!instance || !managed(instance)) {
          invocation.status = 'Failed';
          invocation.statusDetails = 'Undeliverable';
          invocation.finishedAt = now;
          continue;
        }
        invocation.status = 'InProgress';
        invocation.statusDetails = 'InProgress';
        invocation.startedAt = now;
        invocation.endsAt = plan.hang
          ? invocation.requestedAt + command.timeoutSeconds * d.apiSecond
          : now + (plan.provisionMs ?? d.commandRun);
      }
      if (invocation.status !== 'InProgress' || invocation.endsAt === undefined || now < invocation.endsAt)
        continue;
      if (rebootAndRerun(region, command, plan, invocation, now)) continue;
      invocation.finishedAt = now;
      if (plan.hang) {
        invocation.status = 'TimedOut';
        invocation.statusDetails = 'ExecutionTimedOut';
        continue;
      }
      const instance = region.ec2.instances.get(invocation.instanceId);
      // The rerun after a reboot found its work done (an idempotent script): it succeeds.
      const exitCode = invocation.rebooted ? 0 : sysprepExit(command, plan, instance, invocation);
      invocation.responseCode = exitCode;
      invocation.status = exitCode === 0 ? 'Success' : 'Failed';
      invocation.statusDetails = invocation.status;
      if (exitCode === 0 && plan.shutdown && instance?.state === 'running') {
        shutDownFromInside(region, instance);
      }
      if (plan.terminate && instance && instance.state !== 'terminated') {
        setInstanceState(region, instance, 'shutting-down', {
          Code: 'Server.InternalError',
          Message: 'Server.InternalError: Internal error',
        });
      }
    }
  }
}

export const commandHandlers: Record<string, AwsHandler> = {
  SendCommand: sendCommand,
  GetCommandInvocation: getCommandInvocation,
  ListCommandInvocations: listCommandInvocations,
  ListCommands: listCommands,
  CancelCommand: cancelCommand,
  DescribeInstanceInformation: describeInstanceInformation,
};

export const commandIam: Record<string, IamMapping> = {
  // The document run and each instance named (targets by tag are resolved later, as in AWS).
  SendCommand: ({ action, params: p, region: r, arns: a }) => [
    { action, resource: a.document(String(p.DocumentName)), context: {} },
    ...arr<string>(p.InstanceIds).map((id) => ({ action, ...instance(r, a, id) })),
  ],
  GetCommandInvocation: onAnyResource,
  ListCommandInvocations: onAnyResource,
  ListCommands: onAnyResource,
  CancelCommand: onAnyResource,
  DescribeInstanceInformation: onAnyResource,
};
