import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Faults, FaultRule } from '../faults.js';
import type { IamAuthorizer } from '../iam-authorizer.js';
import type { Logs } from '../logs.js';
import type { World } from '../state.js';
import { loadModel, shapeOf, type Operation, type ServiceModel } from './model.js';
import { parseJsonParams, serializeJsonError, serializeJsonResponse } from './protocol-json.js';
import { formTree, parseQueryParams, serializeQueryError, serializeQueryResponse } from './protocol-query.js';
import { AwsError, type AwsHandler, type AwsProtocol, type AwsService } from './service.js';
import { credentialScope } from './sigv4.js';

/**
 * Routes one AWS request: service and region from the SigV4 scope, operation from `Action` or
 * `X-Amz-Target`, faults, model-driven parsing, the handler, serialization, and the call log.
 */
export interface AwsDispatchEnv {
  world: World;
  logs: Logs;
  faults: Faults;
  services: readonly AwsService[];
  /** Enforces an identity policy when one is set (bench's least-privilege runs). */
  iam?: IamAuthorizer;
}

interface Loaded {
  service: AwsService;
  model: ServiceModel;
}

const CONTENT_TYPES: Record<AwsProtocol, string> = {
  ec2: 'text/xml;charset=UTF-8',
  query: 'text/xml',
  json: 'application/x-amz-json-1.1',
};

function throttleError(protocol: AwsProtocol): AwsError {
  if (protocol === 'ec2') return new AwsError('RequestLimitExceeded', 'Request limit exceeded.', 503);
  return new AwsError(protocol === 'json' ? 'ThrottlingException' : 'Throttling', 'Rate exceeded', 400);
}

function serverError(protocol: AwsProtocol, status: number): AwsError {
  if (status === 503) {
    const code = protocol === 'ec2' ? 'Unavailable' : 'ServiceUnavailable';
    return new AwsError(code, 'The service is unavailable. Please try again shortly.', 503);
  }
  const code =
    protocol === 'ec2' ? 'InternalError' : protocol === 'json' ? 'InternalServerError' : 'InternalFailure';
  return new AwsError(code, 'An internal error has occurred.', 500);
}

function faultError(protocol: AwsProtocol, rule: FaultRule): AwsError {
  if (rule.kind === 'error' && (rule.status === 400 || rule.status === 403))
    return new AwsError(
      rule.code ?? 'AccessDenied',
      rule.message ?? 'User is not authorized to perform this operation (localcloud fault).',
      rule.status,
    );
  const base = rule.kind === 'throttle' ? throttleError(protocol) : serverError(protocol, rule.status ?? 500);
  return new AwsError(rule.code ?? base.code, rule.message ?? base.message, base.status);
}

function missingParameter(protocol: AwsProtocol, member: string, wire: string): AwsError {
  if (protocol === 'ec2')
    return new AwsError('MissingParameter', `The request must contain the parameter ${wire}`);
  const path = member.charAt(0).toLowerCase() + member.slice(1);
  return new AwsError(
    protocol === 'json' ? 'ValidationException' : 'ValidationError',
    `1 validation error detected: Value null at '${path}' failed to satisfy constraint: Member must not be null`,
  );
}

/** Top-level required members and numeric ranges, which AWS checks before anything else. */
function validate(loaded: Loaded, operation: string, params: Record<string, unknown>): void {
  const { model, service } = loaded;
  const ref = model.operations[operation]?.input;
  if (!ref) return;
  const shape = shapeOf(model, ref);
  for (const name of shape.required ?? []) {
    if (params[name] === undefined) {
      const member = shape.members?.[name];
      const wire = member?.queryName ?? member?.locationName ?? name;
      throw missingParameter(service.protocol, name, wire.charAt(0).toUpperCase() + wire.slice(1));
    }
  }
  for (const [name, member] of Object.entries(shape.members ?? {})) {
    const value = params[name];
    const memberShape = shapeOf(model, member);
    if (memberShape.type !== 'integer' && memberShape.type !== 'long') continue;
    if (value === undefined) continue;
    const bad =
      typeof value !== 'number' ||
      !Number.isInteger(value) ||
      (memberShape.min !== undefined && value < memberShape.min) ||
      (memberShape.max !== undefined && value > memberShape.max);
    if (bad) {
      const code =
        service.protocol === 'ec2'
          ? 'InvalidParameterValue'
          : service.protocol === 'json'
            ? 'ValidationException'
            : 'ValidationError';
      throw new AwsError(code, `Value ${String(value)} for parameter ${name} is invalid.`);
    }
  }
}

/** One request on its way through: what was read from the wire, and where the answer goes. */
interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  /** Call log timestamps are when the request arrived (tests measure request spacing with them). */
  arrivedAt: number;
  text: string;
  scope: ReturnType<typeof credentialScope>;
  loaded: Loaded | undefined;
  protocol: AwsProtocol;
  region: string;
  serviceName: string;
  operation: string;
  params: Record<string, unknown>;
  tree: ReturnType<typeof formTree> | undefined;
}

function readExchange(
  env: AwsDispatchEnv,
  bySigningName: Map<string, Loaded>,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
): Exchange {
  const url = new URL(req.url ?? '/', 'http://localcloud');
  const scope = credentialScope(req.headers.authorization, url.searchParams);
  const target = req.headers['x-amz-target'];
  const text = body.toString('utf8');
  const loaded = scope ? bySigningName.get(scope.service) : undefined;
  const protocol: AwsProtocol = loaded?.service.protocol ?? (typeof target === 'string' ? 'json' : 'query');
  const x: Exchange = {
    req,
    res,
    requestId: randomUUID(),
    arrivedAt: env.world.clock.now(),
    text,
    scope,
    loaded,
    protocol,
    region: scope?.region ?? 'us-east-1',
    serviceName: scope?.service ?? 'unknown',
    operation: 'unknown',
    params: {},
    tree: undefined,
  };
  if (protocol === 'json') {
    x.operation = typeof target === 'string' ? (target.split('.').pop() ?? 'unknown') : 'unknown';
  } else {
    const form = new URLSearchParams(url.search);
    for (const [k, v] of new URLSearchParams(text)) form.set(k, v);
    x.operation = form.get('Action') ?? 'unknown';
    x.tree = formTree(form);
  }
  return x;
}

/** One call-log entry per request, whatever its outcome. */
function record(env: AwsDispatchEnv, x: Exchange, status: number, errorCode?: string, fault?: string): void {
  env.logs.recordCall({
    ts: x.arrivedAt,
    service: x.serviceName,
    region: x.region,
    operation: x.operation,
    params: x.params,
    status,
    ...(errorCode ? { errorCode } : {}),
    requestId: x.requestId,
    ...(fault ? { fault } : {}),
  });
}

function send(x: Exchange, status: number, body: string, extra: Record<string, string> = {}): void {
  // JSON 1.0 (SQS) or 1.1 (SSM, EventBridge), as the model's metadata says.
  const jsonVersion = x.loaded?.model.metadata?.jsonVersion;
  x.res.writeHead(status, {
    'content-type':
      x.protocol === 'json' && jsonVersion
        ? `application/x-amz-json-${jsonVersion}`
        : CONTENT_TYPES[x.protocol],
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': x.requestId,
    ...extra,
  });
  x.res.end(body);
}

function fail(env: AwsDispatchEnv, x: Exchange, err: AwsError, fault?: FaultRule): void {
  const errorBody =
    x.protocol === 'json'
      ? serializeJsonError(err.code, err.message)
      : serializeQueryError(
          x.loaded?.model ?? loadModel('sts'),
          x.protocol,
          err.code,
          err.message,
          err.status,
          x.requestId,
        );
  record(
    env,
    x,
    err.status,
    err.code,
    fault ? (fault.after ? `${fault.kind}-after` : fault.kind) : undefined,
  );
  const queryCodes = x.loaded?.service.queryErrorCodes;
  const compat: Record<string, string> = queryCodes
    ? {
        'x-amzn-query-error': `${queryCodes[err.code] ?? err.code};${err.status >= 500 ? 'Receiver' : 'Sender'}`,
      }
    : {};
  send(x, err.status, errorBody, compat);
}

/** The operation's model entry and handler, or the error AWS answers for a request it cannot route. */
function route(x: Exchange): { op: Operation; handler: AwsHandler } | AwsError {
  if (!x.scope)
    return new AwsError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
  if (!x.loaded)
    return new AwsError('InvalidAction', `localcloud does not serve the service "${x.scope.service}"`);
  const op = x.loaded.model.operations[x.operation];
  const handler = x.loaded.service.handlers[x.operation];
  if (op && handler) return { op, handler };
  const code = x.protocol === 'json' ? 'UnknownOperationException' : 'InvalidAction';
  return new AwsError(code, `The action ${x.operation} is not valid for this web service (localcloud).`);
}

/** Fills `x.params` from the wire; false (answered) when the body cannot be parsed. */
function parse(env: AwsDispatchEnv, x: Exchange, model: ServiceModel, op: Operation): boolean {
  try {
    x.params =
      x.protocol === 'json'
        ? parseJsonParams(model, op.input, x.text)
        : parseQueryParams(model, x.protocol, op.input, x.tree ?? {});
    return true;
  } catch {
    const code = x.protocol === 'json' ? 'SerializationException' : 'MalformedQueryString';
    fail(env, x, new AwsError(code, 'The request body could not be parsed.'));
    return false;
  }
}

/** Answers a scripted fault: a dropped connection, a non-AWS HTML page, or an AWS error. */
function answerFault(env: AwsDispatchEnv, x: Exchange, f: FaultRule): void {
  if (f.kind === 'drop') {
    record(env, x, 0, 'ConnectionDropped', f.after ? 'drop-after' : 'drop');
    x.req.socket.destroy();
  } else if (f.kind === 'html') {
    // Not AWS at all: a proxy or emulator in the way answers its own HTML error page.
    const status = f.status ?? 500;
    record(env, x, status, 'NonAwsAnswer', f.after ? 'html-after' : 'html');
    const page = `<html><head><title>${status} Internal Server Error</title></head><body><h1>${status} Internal Server Error</h1><hr><center>nginx</center></body></html>\n`;
    x.res.writeHead(status, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(page) });
    x.res.end(page);
  } else fail(env, x, faultError(x.protocol, f), f);
}

/** Validates and runs the handler: its output, or undefined once an error has been answered. */
async function run(
  env: AwsDispatchEnv,
  x: Exchange,
  loaded: Loaded,
  handler: AwsHandler,
): Promise<{ output: object } | undefined> {
  const gone = new AbortController();
  x.res.once('close', () => {
    if (!x.res.writableFinished) gone.abort();
  });
  try {
    validate(loaded, x.operation, x.params);
    const output = await handler(
      { operation: x.operation, params: x.params, headers: x.req.headers },
      {
        world: env.world,
        region: env.world.region(x.region),
        requestId: x.requestId,
        now: env.world.clock.now(),
        signal: gone.signal,
      },
    );
    return { output };
  } catch (err) {
    if (err instanceof AwsError) return void fail(env, x, err);
    console.error(`localcloud: ${x.serviceName}.${x.operation} failed:`, err);
    return void fail(env, x, serverError(x.protocol, 500));
  }
}

function respond(
  env: AwsDispatchEnv,
  x: Exchange,
  model: ServiceModel,
  op: Operation,
  output: object,
  latency: boolean,
) {
  const body =
    x.protocol === 'json'
      ? serializeJsonResponse(model, op.output, output as Record<string, unknown>)
      : serializeQueryResponse(
          model,
          x.protocol,
          x.operation,
          op.output,
          output as Record<string, unknown>,
          x.requestId,
        );
  record(env, x, 200, undefined, latency ? 'latency' : undefined);
  send(x, 200, body);
}

async function dispatch(env: AwsDispatchEnv, x: Exchange): Promise<void> {
  const routed = route(x);
  if (routed instanceof AwsError) return fail(env, x, routed);
  const loaded = x.loaded!;
  const { op, handler } = routed;
  if (!parse(env, x, loaded.model, op)) return;

  await env.faults.hold(x.serviceName, x.operation, x.region);
  const outcome = env.faults.decide(x.serviceName, x.operation, x.region);
  if (outcome.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, outcome.latencyMs));
  const failure = outcome.failure;
  if (failure && !failure.after) return answerFault(env, x, failure);

  const denied = env.iam?.authorize(
    x.serviceName,
    x.protocol,
    x.operation,
    x.params,
    env.world.region(x.region),
  );
  if (denied) return fail(env, x, denied);

  const ran = await run(env, x, loaded, handler);
  if (!ran) return;
  // The operation took effect; the answer is lost.
  if (failure?.after) return answerFault(env, x, failure);
  respond(env, x, loaded.model, op, ran.output, outcome.latencyMs > 0);
}

export function createAwsDispatcher(env: AwsDispatchEnv) {
  const bySigningName = new Map<string, Loaded>();
  for (const service of env.services)
    bySigningName.set(service.signingName, { service, model: loadModel(service.model) });
  return (req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> =>
    dispatch(env, readExchange(env, bySigningName, req, res, body));
}
