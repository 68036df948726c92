// Records each change deploy-ami's steps send, before it is sent: SDK middleware on the run's
// clients, so no code path of promote or roll can change AWS without the journal knowing.
import type { ActionClients, ActionContext } from '../core/context.js';
import type { Change, Journal } from './journal.js';

type Input = Record<string, unknown>;
type Output = Record<string, unknown>;

/** The journal entry for a command, or undefined for calls that change nothing we put back. */
function changeFor(command: string, region: string, input: Input, at: number): Change | undefined {
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  switch (command) {
    case 'CreateLaunchTemplateVersionCommand':
      return { kind: 'version', region, templateId: text(input.LaunchTemplateId), at };
    case 'UpdateAutoScalingGroupCommand':
      return { kind: 'source', region, group: text(input.AutoScalingGroupName), at };
    case 'StartInstanceRefreshCommand':
      return { kind: 'refresh', region, group: text(input.AutoScalingGroupName), at };
    case 'PutParameterCommand':
      return { kind: 'value', region, name: text(input.Name), at };
    case 'LabelParameterVersionCommand':
      return {
        kind: 'label',
        region,
        name: text(input.Name),
        at,
        ...(typeof input.ParameterVersion === 'number' ? { version: input.ParameterVersion } : {}),
      };
    default:
      return undefined;
  }
}

/** What AWS's answer adds to the entry: the version or refresh it made. */
function answered(change: Change, output: Output): Partial<Change> {
  const n = (v: unknown) => (typeof v === 'number' ? v : undefined);
  if (change.kind === 'version')
    return { version: n((output.LaunchTemplateVersion as Output | undefined)?.VersionNumber) };
  if (change.kind === 'refresh' && typeof output.InstanceRefreshId === 'string')
    return { refreshId: output.InstanceRefreshId };
  if (change.kind === 'value') return { version: n(output.Version) };
  if (change.kind === 'label') return { version: n(output.ParameterVersion) ?? change.version };
  return {};
}

interface Stackable {
  config: { region: string | (() => Promise<string>) };
  middlewareStack: {
    add(
      mw: (
        next: (a: { input: Input }) => Promise<{ output: Output }>,
        context: { commandName?: string },
      ) => (args: { input: Input }) => Promise<{ output: Output }>,
      o: { step: 'initialize'; name: string },
    ): void;
  };
}

/** The journal each instrumented client records into (the clients are cached per step). */
const journals = new WeakMap<object, Journal>();

/** Adds the recording middleware to a client once; it records only while its journal is `recording`. */
function instrument<C>(client: C, region: string, journal: Journal): C {
  const known = journals.has(client as object);
  journals.set(client as object, journal);
  if (known) return client;
  (client as unknown as Stackable).middlewareStack.add(
    (next, context) => async (args) => {
      const journal = journals.get(client as object);
      const change = journal?.recording
        ? changeFor(context.commandName ?? '', region, args.input, Date.now())
        : undefined;
      if (change) journal?.intend(change);
      const out = await next(args);
      if (change) journal?.complete(change, answered(change, out.output));
      return out;
    },
    { step: 'initialize', name: 'goldenAmiDeployJournal' },
  );
  return client;
}

/**
 * The context the run's changing steps use: the same clients, each recording into the journal.
 * Only Auto Scaling, EC2 and SSM change what a put-back restores.
 */
export function journaled(ctx: ActionContext, journal: Journal): ActionContext {
  const c = ctx.clients;
  const region = (r?: string) => r ?? c.defaultRegion;
  const clients: ActionClients = Object.assign(Object.create(c) as ActionClients, {
    autoScaling: (r?: string) => instrument(c.autoScaling(r), region(r), journal),
    ec2: (r?: string) => instrument(c.ec2(r), region(r), journal),
    ssm: (r?: string) => instrument(c.ssm(r), region(r), journal),
  });
  return { ...ctx, clients };
}
