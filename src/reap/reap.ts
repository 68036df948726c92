// reap-octopus-orphans: delete the Octopus deployment targets whose EC2 instances are gone, and
// never a live one. Everything is read before anything is deleted; any failed read, or more
// orphans than the caps allow, deletes nothing.
import { oneLine } from '../core/untrusted.js';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { bounded } from '../core/bounded.js';
import type { ActionContext } from '../core/context.js';
import { AbortedError, PartialFailure } from '../core/errors.js';
import { createOctopusClient, type OctopusApi, type OctopusConnection } from '../octopus/client.js';
import { deleteMachine, listMachines, resolveEnvironments, resolveSpace } from '../octopus/machines.js';
import type { OctopusMachine } from '../octopus/resources.js';
import type { InstanceState } from './instances.js';
import { mapMachine, type MatchBy } from './mapping.js';
import { findInstances, type Wanted } from './search.js';

export interface ReapClients {
  ec2(region?: string): EC2Client;
  octopus: OctopusApi;
}

export type ReapContext = ActionContext<ReapClients>;

export interface ReapOptions {
  space: string;
  environments: string[];
  roles: string[];
  matchBy: MatchBy;
  instanceIdPattern: RegExp;
  regions: string[];
  reapStates: InstanceState[];
  maxReap: number;
  maxReapPercent: number;
  dryRun: boolean;
  /** Deletes in flight at once. */
  concurrency: number;
  /** Targets per Octopus page. */
  pageSize: number;
  /**
   * A dry run's forecast (deploy-ami): instances the coming refresh replaces, counted as
   * terminated, so the forecast says what the real run's reap will delete.
   */
  replacing?: ReadonlySet<string>;
}

/** What a reap step runs with: the options, and where Octopus is (the run makes its client). */
export type ReapRunOptions = ReapOptions & { octopus: OctopusConnection };

export interface TargetRecord {
  machineId: string;
  name: string;
  /** The instance the target maps to, when known. */
  instanceId: string | null;
  /** What EC2 says about it (not-found: in no region it could be in); null when not asked or left unchecked. */
  state: InstanceState | null;
  region: string | null;
  /** Why it was removed, kept or skipped. */
  reason: string;
}

export interface ReapResult {
  space: { id: string; name: string };
  environments: string[];
  regions: string[];
  /** Regions asked beyond `regions`, for instances not found there. */
  widened: string[];
  dryRun: boolean;
  scanned: number;
  /** Targets whose instance is in one of reap-states: deleted, or would be in a dry run. */
  orphans: TargetRecord[];
  /** Deleted in this run (including targets already gone when we got to them). */
  reaped: TargetRecord[];
  /** Mapped to an instance that is not in reap-states. */
  kept: TargetRecord[];
  /** Mapped to nothing: reported and left alone. */
  unmapped: TargetRecord[];
  ec2Calls: number;
  /** Set in a dry run that a real run would refuse. */
  refusal?: string;
}

/** The caps refused the run: nothing was deleted; `result` is what was found. */
export class ReapRefused extends PartialFailure<ReapResult> {}

/** A delete failed part-way: `result` says what was deleted before it stopped. */
export class ReapDeleteFailed extends PartialFailure<ReapResult> {}

const LISTED = 20;

function record(m: OctopusMachine, fields: Partial<TargetRecord> & { reason: string }): TargetRecord {
  return { machineId: m.Id, name: oneLine(m.Name), instanceId: null, state: null, region: null, ...fields };
}

/** Why a run with these orphans must not delete anything, or undefined when it may. */
function capProblem(orphans: number, mapped: number, o: ReapOptions): string | undefined {
  const percent = mapped ? Math.round((orphans / mapped) * 1000) / 10 : 0;
  const over: string[] = [];
  if (orphans > o.maxReap) over.push(`max-reap (${o.maxReap})`);
  if (percent > o.maxReapPercent)
    over.push(`max-reap-percent (${o.maxReapPercent}%: ${percent}% of ${mapped} mapped targets)`);
  if (!over.length) return undefined;
  return (
    `${orphans} target${orphans === 1 ? '' : 's'} look orphaned, over ${over.join(' and ')}: nothing was deleted. ` +
    `A wrong account makes every target look orphaned; check the credentials (and the Octopus environments), ` +
    `then raise the cap if this many really are gone.`
  );
}

function listing(targets: TargetRecord[]): string {
  const shown = targets.slice(0, LISTED).map((t) => `${t.name} (${t.machineId}: ${t.state ?? 'unknown'})`);
  return shown.join(', ') + (targets.length > LISTED ? ` and ${targets.length - LISTED} more` : '');
}

/** Reads the space, environments and their deployment targets (one page for most estates). */
function readTargets(ctx: ReapContext, o: ReapOptions) {
  const { clients, log, signal } = ctx;
  return log.group('Reading deployment targets from Octopus', async () => {
    const space = await resolveSpace(clients.octopus, o.space, signal);
    const environments = await resolveEnvironments(clients.octopus, space.Id, o.environments, signal);
    const machines = await listMachines(
      clients.octopus,
      space.Id,
      { environmentIds: environments.map((e) => e.Id), roles: o.roles },
      o.pageSize,
      signal,
    );
    log.info(
      `${machines.length} target${machines.length === 1 ? '' : 's'} in ${oneLine(space.Name)} / ${environments.map((e) => oneLine(e.Name)).join(', ')}${o.roles.length ? ` with role ${o.roles.join(' or ')}` : ''}`,
    );
    return { space, environments, machines };
  });
}

type Mapped = Wanted & { machine: OctopusMachine };

/** Maps each target to the instance it stands for; the rest are reported and left alone. */
function mapTargets(
  ctx: ReapContext,
  o: ReapOptions,
  machines: OctopusMachine[],
  environmentIds: string[],
): { mapped: Mapped[]; unmapped: TargetRecord[] } {
  const unmapped: TargetRecord[] = [];
  const mapped: Mapped[] = [];
  // The server filtered by environment; a target it returned from elsewhere is never ours to delete.
  const wanted = new Set(environmentIds);
  for (const m of machines) {
    if (!(m.EnvironmentIds ?? []).some((id) => wanted.has(id))) {
      unmapped.push(
        record(m, {
          reason: 'left alone: Octopus listed it, but it is in none of the environments asked for',
        }),
      );
      continue;
    }
    const r = mapMachine(m, o.matchBy, o.instanceIdPattern);
    if ('key' in r) mapped.push({ machine: m, key: r.key, ...(r.region ? { region: r.region } : {}) });
    else unmapped.push(record(m, { reason: `left alone: ${r.reason}` }));
  }
  if (unmapped.length)
    ctx.log.warning(
      `${unmapped.length} target(s) map to no instance and are left alone: ${unmapped
        .slice(0, LISTED)
        .map((u) => u.name)
        .join(', ')}`,
    );
  return { mapped, unmapped };
}

/** Asks EC2 about the mapped instances and sorts the targets into orphans and kept. */
async function classify(ctx: ReapContext, o: ReapOptions, mapped: Mapped[]) {
  const lookup = await ctx.log.group(
    `Asking EC2 about ${mapped.length} instance(s) in ${o.regions.join(', ')}, then wherever one not found there could be`,
    async () => {
      const r = await findInstances(ctx.clients, o.regions, mapped, o.matchBy, ctx.signal);
      if (r.widened.length)
        ctx.log.info(
          `Not found in ${o.regions.join(', ')}: ${r.where.size} instance(s), looked for in ${r.widened.join(', ')}`,
        );
      ctx.log.info(
        `${r.calls} DescribeInstances call(s) for ${new Set(mapped.map((x) => x.key)).size} distinct ${o.matchBy} value(s)`,
      );
      return r;
    },
  );
  const orphans: TargetRecord[] = [];
  const kept: TargetRecord[] = [];
  for (const { machine, key } of mapped) {
    const found = lookup.facts.get(key) ?? { state: 'not-found' as const };
    const instanceId = found.instanceId ?? (o.matchBy === 'instance-id' ? key : null);
    const replaced = o.dryRun && instanceId !== null && o.replacing?.has(instanceId);
    const fact = replaced ? { ...found, state: 'terminated' as const } : found;
    const base = { instanceId, state: fact.state, region: fact.region ?? null };
    const unchecked = lookup.unchecked.get(key);
    if (unchecked) kept.push(record(machine, { instanceId, reason: `left alone: ${unchecked}` }));
    else if (o.reapStates.includes(fact.state))
      orphans.push(
        record(machine, {
          ...base,
          reason:
            fact.state === 'not-found'
              ? `no instance ${key} in ${lookup.where.get(key) ?? o.regions.join(', ')}`
              : replaced
                ? 'the refresh replaces its instance'
                : `instance is ${fact.state}`,
        }),
      );
    else kept.push(record(machine, { ...base, reason: `instance is ${fact.state}` }));
  }
  if (lookup.unchecked.size)
    ctx.log.warning(
      `${lookup.unchecked.size} instance(s) could not be looked for everywhere they could be, so their targets are left alone: ${[
        ...new Set(lookup.unchecked.values()),
      ]
        .slice(0, 3)
        .join('; ')}`,
    );
  return { orphans, kept, ec2Calls: lookup.calls, widened: lookup.widened };
}

/** Deletes the orphans, a few at a time; a failure stops the run with what was deleted so far. */
async function deleteOrphans(ctx: ReapContext, o: ReapOptions, spaceId: string, result: ReapResult) {
  const { orphans } = result;
  await ctx.log.group(`Deleting ${orphans.length} orphaned target(s)`, async () => {
    const failures = await bounded(orphans, o.concurrency, async (t) => {
      if (ctx.signal.aborted) throw new AbortedError();
      const outcome = await deleteMachine(ctx.clients.octopus, spaceId, t.machineId, ctx.signal);
      result.reaped.push(
        outcome === 'deleted' ? t : { ...t, reason: `${t.reason}; already gone from Octopus` },
      );
      ctx.log.info(
        `${outcome === 'deleted' ? 'Deleted' : 'Already gone'}: ${t.name} (${t.machineId}), ${t.reason}`,
      );
    });
    if (failures.length) {
      const first = failures[0];
      if (first instanceof AbortedError) throw first;
      const message = first instanceof Error ? first.message : String(first);
      throw new ReapDeleteFailed(
        `Deleting orphaned targets stopped after ${result.reaped.length} of ${orphans.length}: ${message}`,
        result,
        { cause: first },
      );
    }
  });
}

export async function reapOrphans(ctx: ReapContext, o: ReapOptions): Promise<ReapResult> {
  const { log } = ctx;
  const { space, environments, machines } = await readTargets(ctx, o);
  const { mapped, unmapped } = mapTargets(
    ctx,
    o,
    machines,
    environments.map((e) => e.Id),
  );
  const { orphans, kept, ec2Calls, widened } = await classify(ctx, o, mapped);
  const result: ReapResult = {
    space: { id: space.Id, name: oneLine(space.Name) },
    environments: environments.map((e) => oneLine(e.Name)),
    regions: o.regions,
    widened,
    dryRun: o.dryRun,
    scanned: machines.length,
    orphans,
    reaped: [],
    kept,
    unmapped,
    ec2Calls,
  };
  if (!orphans.length) {
    log.info('No orphaned targets.');
    return result;
  }
  // Forecast: each replaced instance's replacement registers a target of its own by then.
  const forecastNew = o.dryRun ? orphans.filter((t) => o.replacing?.has(t.instanceId ?? '')).length : 0;
  const refusal = capProblem(orphans.length, mapped.length + forecastNew, o);
  if (o.dryRun) {
    log.info(`Dry run: would delete ${orphans.length} target(s): ${listing(orphans)}`);
    if (refusal) log.warning(`A real run would refuse: ${refusal}`);
    return refusal ? { ...result, refusal } : result;
  }
  if (refusal) throw new ReapRefused(`${refusal} Targets: ${listing(orphans)}`, result);
  await deleteOrphans(ctx, o, space.Id, result);
  return result;
}

/** Reaps with the step's EC2 clients and an Octopus client for `o.octopus`. */
export function runReap(ctx: ActionContext, o: ReapRunOptions): Promise<ReapResult> {
  const octopus = createOctopusClient(o.octopus, ctx.clock);
  return reapOrphans({ ...ctx, clients: { ec2: (region) => ctx.clients.ec2(region), octopus } }, o);
}
