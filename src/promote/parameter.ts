// Small typed helpers over SSM Parameter Store for one aws:ec2:image parameter.
import {
  AddTagsToResourceCommand,
  GetParameterCommand,
  LabelParameterVersionCommand,
  PutParameterCommand,
  paginateGetParameterHistory,
} from '@aws-sdk/client-ssm';
import { ActionFailure, TimeoutError, withContext } from '../core/errors.js';
import { poll } from '../core/poll.js';
import type { ActionContext } from '../core/context.js';
import { hasCode, isTransient } from '../aws/errors.js';
import { toTagList } from '../aws/tags.js';

export const IMAGE_DATA_TYPE = 'aws:ec2:image';

export interface ParameterState {
  version: number;
  value: string;
  type: string;
  dataType: string;
}

export interface HistoryEntry {
  version: number;
  value: string;
  labels: string[];
}

/** The parameter's current version, or undefined when it does not exist. */
export async function readParameter(
  ctx: ActionContext,
  region: string,
  name: string,
): Promise<ParameterState | undefined> {
  try {
    const out = await ctx.clients
      .ssm(region)
      .send(new GetParameterCommand({ Name: name }), { abortSignal: ctx.signal });
    const p = out.Parameter;
    if (!p || p.Version === undefined || p.Value === undefined) return undefined;
    return { version: p.Version, value: p.Value, type: p.Type ?? 'String', dataType: p.DataType ?? 'text' };
  } catch (err) {
    if (hasCode(err, 'ParameterNotFound')) return undefined;
    throw withContext(`reading ${name} in ${region}`, err);
  }
}

/** Every version SSM keeps (at most 100), oldest first; empty when the parameter does not exist. */
export async function readHistory(ctx: ActionContext, region: string, name: string): Promise<HistoryEntry[]> {
  const entries: HistoryEntry[] = [];
  try {
    const pages = paginateGetParameterHistory(
      { client: ctx.clients.ssm(region), pageSize: 50 },
      { Name: name },
      { abortSignal: ctx.signal },
    );
    for await (const page of pages)
      for (const p of page.Parameters ?? [])
        if (p.Version !== undefined)
          entries.push({ version: p.Version, value: p.Value ?? '', labels: p.Labels ?? [] });
  } catch (err) {
    if (hasCode(err, 'ParameterNotFound')) return [];
    throw withContext(`reading the history of ${name} in ${region}`, err);
  }
  return entries.sort((a, b) => a.version - b.version);
}

export interface WriteRequest {
  name: string;
  value: string;
  /** False creates the parameter and fails with ParameterAlreadyExists if someone else did first. */
  overwrite: boolean;
  description?: string;
  /** Only sent on creation: SSM refuses Tags together with Overwrite. */
  tags: Readonly<Record<string, string>>;
}

/** Thrown when a create lost to a concurrent create: the caller re-reads and decides again. */
export class ParameterAppeared extends Error {}

/**
 * PutParameter; returns the version SSM assigned. TooManyUpdates (a concurrent update in
 * flight) is retried briefly; SSM validates aws:ec2:image afterwards, see waitForVersion.
 */
export async function putVersion(
  ctx: ActionContext,
  region: string,
  req: WriteRequest,
  pollIntervalMs: number,
): Promise<number> {
  const command = new PutParameterCommand({
    Name: req.name,
    Value: req.value,
    Type: 'String',
    DataType: IMAGE_DATA_TYPE,
    Overwrite: req.overwrite,
    Description: req.description,
    Tags: !req.overwrite && Object.keys(req.tags).length ? toTagList(req.tags) : undefined,
  });
  try {
    return await poll({
      phase: `writing ${req.name} in ${region}`,
      clock: ctx.clock,
      signal: ctx.signal,
      deadline: ctx.clock.now() + 10 * pollIntervalMs,
      minDelayMs: pollIntervalMs,
      maxDelayMs: 4 * pollIntervalMs,
      isTransient: (err) => hasCode(err, 'TooManyUpdates'),
      onTransient: () =>
        ctx.log.info(`SSM reports another update of ${req.name} in flight in ${region}; retrying`),
      check: async () => {
        const out = await ctx.clients.ssm(region).send(command, { abortSignal: ctx.signal });
        if (out.Version === undefined)
          throw new ActionFailure(`PutParameter for ${req.name} in ${region} returned no version`);
        return { done: true, value: out.Version };
      },
    });
  } catch (err) {
    if (hasCode(err, 'ParameterAlreadyExists'))
      throw new ParameterAppeared(`${req.name} was created concurrently in ${region}`);
    if (hasCode(err, 'ParameterMaxVersionLimitExceeded'))
      throw withContext(
        `${req.name} in ${region} has 100 versions and the oldest carries a label, so SSM refuses a new one; move that label to a newer version`,
        err,
      );
    throw withContext(`writing ${req.value} to ${req.name} in ${region}`, err);
  }
}

/**
 * SSM validates aws:ec2:image values asynchronously: PutParameter returns a version number
 * before the value is accepted, and a rejected version never appears. Read it back until it does.
 */
export async function waitForVersion(
  ctx: ActionContext,
  region: string,
  name: string,
  version: number,
  value: string,
  timing: { timeoutMs: number; pollIntervalMs: number },
): Promise<void> {
  const started = ctx.clock.now();
  try {
    await poll({
      phase: `waiting for SSM to validate version ${version} of ${name} in ${region}`,
      clock: ctx.clock,
      signal: ctx.signal,
      deadline: started + timing.timeoutMs,
      minDelayMs: timing.pollIntervalMs,
      maxDelayMs: 10 * timing.pollIntervalMs,
      isTransient,
      onTransient: (err, attempt) =>
        ctx.log.info(`read-back ${attempt} of ${name} in ${region} failed transiently: ${String(err)}`),
      onProgress: (progress, attempt) =>
        ctx.log.info(
          `read-back ${attempt}: ${progress} (${Math.round((ctx.clock.now() - started) / 100) / 10}s)`,
        ),
      check: async () => {
        try {
          const out = await ctx.clients
            .ssm(region)
            .send(new GetParameterCommand({ Name: `${name}:${version}` }), { abortSignal: ctx.signal });
          const got = out.Parameter?.Value;
          if (got !== value)
            throw new ActionFailure(
              `version ${version} of ${name} in ${region} holds ${got ?? 'nothing'}, not ${value}`,
            );
          return { done: true, value: undefined };
        } catch (err) {
          if (!hasCode(err, 'ParameterVersionNotFound', 'ParameterNotFound')) throw err;
          // Constant text: a changing progress string would reset the backoff on every poll.
          return {
            done: false,
            progress: `version ${version} (${value}) of ${name} in ${region} not validated yet`,
          };
        }
      },
    });
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err;
    const current = await readParameter(ctx, region, name).catch(() => undefined);
    const now = current
      ? `it still holds ${current.value} (version ${current.version})`
      : 'it does not exist';
    throw new ActionFailure(
      `SSM did not accept ${value} as version ${version} of ${name} in ${region} within ${Math.round(timing.timeoutMs / 1000)}s: ` +
        `its aws:ec2:image validation rejected the value or has not finished; ${now}`,
    );
  }
}

/** Moves `label` to `version` (a label is on one version at a time). */
export async function labelVersion(
  ctx: ActionContext,
  region: string,
  name: string,
  version: number,
  label: string,
): Promise<void> {
  const out = await ctx.clients
    .ssm(region)
    .send(new LabelParameterVersionCommand({ Name: name, ParameterVersion: version, Labels: [label] }), {
      abortSignal: ctx.signal,
    })
    .catch((err: unknown) => {
      throw hasCode(err, 'ParameterVersionLabelLimitExceeded')
        ? withContext(
            `version ${version} of ${name} in ${region} already carries 10 labels; remove one to add ${label}`,
            err,
          )
        : withContext(`moving label ${label} to version ${version} of ${name} in ${region}`, err);
    });
  // SSM answers a label it will not take with InvalidLabels rather than an error.
  if (out.InvalidLabels?.length)
    throw new ActionFailure(
      `SSM refused label ${out.InvalidLabels.join(', ')} for ${name} in ${region} (label rules: see the label input)`,
    );
}

export async function addTags(
  ctx: ActionContext,
  region: string,
  name: string,
  tags: Readonly<Record<string, string>>,
): Promise<void> {
  await ctx.clients
    .ssm(region)
    .send(
      new AddTagsToResourceCommand({ ResourceType: 'Parameter', ResourceId: name, Tags: toTagList(tags) }),
      {
        abortSignal: ctx.signal,
      },
    );
}
