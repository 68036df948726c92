import { addAccount, createKmsKey, kmsKeys } from './aws/accounts.js';
import { autoscalingControlRoutes } from './aws/autoscaling-control.js';
import { AwsError } from './aws/service.js';
import { seedParameter } from './aws/ssm-parameters.js';
import { resolveDurations, type DurationsInput } from './durations.js';
import type { Faults, FaultRuleInput } from './faults.js';
import type { IamAuthorizer } from './iam-authorizer.js';
import type { LogQuery, Logs } from './logs.js';
import type { Octopus, OctopusFaultRule, OctopusSeed } from './octopus/index.js';
import { seedImage, type ImageSeed } from './seed.js';
import { INSTANCE_STATE_CODES, type World } from './state.js';

/**
 * The control API under `/_localcloud/`: reset, seed, durations, clock, faults, logs, state.
 * Routes are `METHOD /path` → handler(body, query); see README.md for the reference.
 */
export interface ControlEnv {
  world: World;
  logs: Logs;
  faults: Faults;
  octopus: Octopus;
  iam?: IamAuthorizer;
}

type Route = (body: Record<string, unknown>, query: URLSearchParams) => unknown;
export type ControlRoutes = Record<string, Route>;

export class ControlError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function regionOf(body: Record<string, unknown>, query: URLSearchParams): string {
  const region = body.region ?? query.get('region') ?? 'us-east-1';
  if (typeof region !== 'string') throw new ControlError('region must be a string');
  return region;
}

function logQuery(query: URLSearchParams): LogQuery {
  const since = query.get('since');
  return {
    ...(query.get('service') ? { service: query.get('service')! } : {}),
    ...(query.get('operation') ? { operation: query.get('operation')! } : {}),
    ...(query.get('region') ? { region: query.get('region')! } : {}),
    ...(since !== null ? { since: Number(since) } : {}),
  };
}

/** Octopus has its own fault engine; rules with service "octopus" are translated to it. */
function octopusRule(rule: FaultRuleInput): OctopusFaultRule {
  const base = {
    ...(rule.operation !== undefined ? { route: rule.operation } : {}),
    ...(rule.rate !== undefined ? { rate: rule.rate } : {}),
    ...(rule.sequence !== undefined ? { sequence: [...rule.sequence].map((c) => c === 'x') } : {}),
    ...(rule.count !== undefined ? { times: rule.count } : {}),
  };
  switch (rule.kind) {
    case 'latency':
      return { ...base, kind: 'latency', latencyMs: rule.latencyMs ?? 0 };
    case 'drop':
      return { ...base, kind: 'drop' };
    case 'throttle':
      return { ...base, kind: 'status', status: 429 };
    default:
      return { ...base, kind: 'status', status: rule.status ?? 500 };
  }
}

export function stateSummary(world: World, region: string) {
  const r = world.region(region);
  return {
    region,
    now: world.clock.now(),
    instances: [...r.ec2.instances.values()].map((i) => ({
      instanceId: i.instanceId,
      state: i.state,
      stateCode: INSTANCE_STATE_CODES[i.state],
      imageId: i.imageId,
      privateIp: i.privateIp,
      healthy: i.healthy,
      version: i.version,
      tags: i.tags,
    })),
    images: [...r.ec2.images.values()].map((i) => ({
      imageId: i.imageId,
      name: i.name,
      state: i.state,
      ownerId: i.ownerId,
      public: i.public,
      tags: i.tags,
    })),
    launchTemplates: [...r.ec2.launchTemplates.values()].map((t) => ({
      launchTemplateId: t.launchTemplateId,
      name: t.name,
      defaultVersion: t.defaultVersion,
      latestVersion: t.latestVersion,
    })),
    parameters: [...r.ssm.parameters.values()]
      .filter((p) => !p.name.startsWith('/aws/'))
      .map((p) => ({ name: p.name, version: p.versions.at(-1)?.version, value: p.versions.at(-1)?.value })),
  };
}

/** Health, reset, durations and the clock. */
function worldRoutes({ world, logs, faults, octopus, iam }: ControlEnv): ControlRoutes {
  return {
    'GET /health': () => ({ ok: true }),

    /** Everything back to the start: regions re-seeded, logs and faults cleared, Octopus fresh. */
    'POST /reset': () => {
      world.reset();
      logs.clear();
      faults.clear();
      octopus.reset();
      // The policy given at start stays; the decisions recorded so far go.
      iam?.clear();
      return { ok: true };
    },

    'GET /durations': () => world.durations,
    /** Body: partial durations in ms, or { preset: "realistic" | "default" }. */
    'POST /durations': (body) => {
      try {
        const input = (typeof body.preset === 'string' ? body.preset : body) as DurationsInput;
        world.durations = resolveDurations(input, world.durations);
      } catch (err) {
        throw new ControlError((err as Error).message);
      }
      return world.durations;
    },

    /** Body: { ms }: jump the clock forward; timers that fall due fire on the next tick. */
    'POST /clock/advance': (body) => {
      const ms = Number(body.ms);
      if (!Number.isFinite(ms) || ms < 0) throw new ControlError('ms must be a non-negative number');
      world.clock.advance(ms);
      world.ticker.tick();
      return { now: world.clock.now() };
    },
  };
}

/** Fault rules, AWS and Octopus. */
function faultRoutes({ faults, octopus }: ControlEnv): ControlRoutes {
  return {
    'GET /faults': () => ({ rules: faults.list() }),
    /** Body: one rule or { rules: [...] }. */
    'POST /faults': (body) => {
      const inputs = (Array.isArray(body.rules) ? body.rules : [body]) as FaultRuleInput[];
      const added: unknown[] = [];
      try {
        for (const input of inputs) {
          if (input.service === 'octopus') {
            if (input.kind === 'hold') throw new Error('a hold rule holds AWS calls only, not octopus');
            octopus.faults.add(octopusRule(input));
            added.push({ ...input, engine: 'octopus' });
          } else {
            added.push(faults.add(input));
          }
        }
      } catch (err) {
        throw new ControlError((err as Error).message);
      }
      return { rules: added };
    },
    /** Body: { id }: lets the calls a `hold` rule holds go on. */
    'POST /faults/release': (body) => {
      if (!faults.release(Number(body.id))) throw new ControlError(`no hold rule ${String(body.id)}`, 404);
      return { ok: true };
    },
    'DELETE /faults': () => {
      faults.clear();
      octopus.faults.clear();
      return { ok: true };
    },
  };
}

/** KMS keys and the accounts access keys act as. */
function accountRoutes({ world }: ControlEnv): ControlRoutes {
  return {
    /** Body: { region, alias? }: a customer-managed KMS key there; answers its keyId and arn. */
    'POST /kms/keys': (body) => {
      const { keyId, arn, aliases } = createKmsKey(
        world.region(String(body.region ?? 'us-east-1')),
        typeof body.alias === 'string' ? body.alias : undefined,
      );
      return { keyId, arn, aliases };
    },
    'GET /kms/keys': (body, query) =>
      kmsKeys(world.region(query.get('region') ?? String(body.region ?? 'us-east-1'))).map(
        ({ keyId, arn, managed, aliases }) => ({ keyId, arn, managed, aliases }),
      ),
    /** Body: { accessKeyId, accountId }: requests signed with that key act as that account. */
    'POST /accounts': (body) => {
      try {
        addAccount(world, String(body.accessKeyId), String(body.accountId));
      } catch (err) {
        throw new ControlError((err as Error).message);
      }
      return { ok: true };
    },
  };
}

/** The call and mutation logs. */
function logRoutes({ logs }: ControlEnv): ControlRoutes {
  return {
    'GET /calls': (_body, query) => ({ calls: logs.calls.query(logQuery(query)) }),
    'DELETE /calls': () => {
      logs.clear();
      return { ok: true };
    },
    'GET /mutations': (_body, query) => ({ mutations: logs.mutations.query(logQuery(query)) }),
  };
}

/** Seeding, images changed behind the actions' back, and a summary of state. */
function seedRoutes({ world, octopus }: ControlEnv): ControlRoutes {
  return {
    /**
     * Body: { region?, images?: ImageSeed[], parameters?: [{ name, value, dataType? }], octopus?: OctopusSeed }
     * → the ids created.
     */
    'POST /seed': (body, query) => {
      const region = world.region(regionOf(body, query));
      const images = ((body.images ?? []) as ImageSeed[]).map((seed) => {
        if (typeof seed.name !== 'string') throw new ControlError('every seeded image needs a name');
        return { name: seed.name, imageId: seedImage(region, seed).imageId };
      });
      const parameters = (
        (body.parameters ?? []) as { name: string; value: string; dataType?: string }[]
      ).map((p) => {
        if (typeof p.name !== 'string' || typeof p.value !== 'string') {
          throw new ControlError('every seeded parameter needs a name and a value');
        }
        seedParameter(region, p.name, p.value, p.dataType ?? 'text');
        return { name: p.name };
      });
      if (body.octopus) octopus.seed(body.octopus as OctopusSeed);
      return { images, parameters };
    },

    /** AWS deregisters one of its public AMIs (or any image) behind your back. */
    'POST /images/deregister': (body, query) => {
      const region = world.region(regionOf(body, query));
      const id = String(body.imageId ?? '');
      if (!region.ec2.images.delete(id)) throw new ControlError(`no image ${id} in ${region.name}`, 404);
      return { ok: true };
    },

    /** Body: { region?, imageId, version?, health?, unhealthyGroups? }: change what instances launched later from an image do. */
    'POST /images/behaviour': (body, query) => {
      const region = world.region(regionOf(body, query));
      const image = region.ec2.images.get(String(body.imageId ?? ''));
      if (!image) throw new ControlError(`no image ${String(body.imageId)} in ${region.name}`, 404);
      const set = (key: string, value: unknown) => {
        if (typeof value !== 'string') return;
        image.tags = image.tags.filter((t) => t.Key !== key);
        image.tags.push({ Key: key, Value: value });
      };
      set('localcloud:version', body.version);
      set('localcloud:health', body.health);
      if (Array.isArray(body.unhealthyGroups))
        set('localcloud:unhealthy-groups', body.unhealthyGroups.map(String).join(','));
      return { ok: true };
    },

    'GET /state': (body, query) => stateSummary(world, regionOf(body, query)),
  };
}

/** IAM enforcement. */
function iamRoutes({ iam }: ControlEnv): ControlRoutes {
  return {
    /** Body: { policy: <IAM policy document> | null }: enforce it on every AWS call, or stop. */
    'POST /iam': (body) => {
      if (!iam) throw new ControlError('IAM enforcement is not available', 404);
      try {
        iam.setPolicy(body.policy ?? null);
      } catch (err) {
        throw new ControlError((err as Error).message);
      }
      return { enforcing: Boolean(iam.policy) };
    },
    'GET /iam': () => ({ policy: iam?.policy ?? null, records: iam?.records.length ?? 0 }),
  };
}

export function createControlRoutes(env: ControlEnv): ControlRoutes {
  const routes: ControlRoutes = {
    ...worldRoutes(env),
    ...faultRoutes(env),
    ...accountRoutes(env),
    ...logRoutes(env),
    ...seedRoutes(env),
    ...iamRoutes(env),
  };
  for (const [key, route] of Object.entries(autoscalingControlRoutes)) {
    routes[key] = (body, query) => route(env.world, body, query);
  }
  return routes;
}

/** Maps errors from route handlers (including AwsError from other modules) to a status. */
export function controlErrorStatus(err: unknown): number {
  if (err instanceof ControlError) return err.status;
  if (err instanceof AwsError) return 400;
  return 500;
}

/** The control API in-process, for tests and the demo that hold the start() result. */
export function controlClient(routes: ControlRoutes) {
  const call = (key: string, body: Record<string, unknown> = {}, query = new URLSearchParams()) => {
    const route = routes[key];
    if (!route) throw new Error(`no control route ${key}`);
    return route(body, query);
  };
  return {
    reset: () => void call('POST /reset'),
    setDurations: (input: DurationsInput) =>
      call('POST /durations', typeof input === 'string' ? { preset: input } : { ...input }) as ReturnType<
        typeof resolveDurations
      >,
    advanceClock: (ms: number) => void call('POST /clock/advance', { ms }),
    addFaults: (...rules: FaultRuleInput[]) => void call('POST /faults', { rules }),
    clearFaults: () => void call('DELETE /faults'),
    seed: (body: {
      region?: string;
      images?: ImageSeed[];
      parameters?: { name: string; value: string; dataType?: string }[];
      octopus?: OctopusSeed;
    }) =>
      call('POST /seed', body as Record<string, unknown>) as {
        images: { name: string; imageId: string }[];
        parameters: { name: string }[];
      },
    deregisterImage: (imageId: string, region?: string) =>
      void call('POST /images/deregister', { imageId, ...(region ? { region } : {}) }),
    createKmsKey: (region: string, alias?: string) =>
      call('POST /kms/keys', { region, ...(alias ? { alias } : {}) }) as { keyId: string; arn: string },
    state: (region = 'us-east-1') => call('GET /state', { region }) as ReturnType<typeof stateSummary>,
    /** Any route by its `METHOD /path` key, e.g. `POST /autoscaling/alarms`. */
    call,
  };
}
