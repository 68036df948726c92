import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Faults, FaultRule } from '../faults.js';
import type { IamAuthorizer } from '../iam-authorizer.js';
import type { Logs } from '../logs.js';
import type { World } from '../state.js';
import { loadModel, shapeOf, type ServiceModel } from './model.js';
import { parseJsonParams, serializeJsonError, serializeJsonResponse } from './protocol-json.js';
import { formTree, parseQueryParams, serializeQueryError, serializeQueryResponse } from './protocol-query.js';
import { AwsError, type AwsProtocol, type AwsService } from './service.js';
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

export function createAwsDispatcher(env: AwsDispatchEnv) {
  const bySigningName = new Map<string, Loaded>();
  for (const service of env.services)
    bySigningName.set(service.signingName, { service, model: loadModel(service.model) });

  function send(
    res: ServerResponse,
    loaded: Loaded | undefined,
    protocol: AwsProtocol,
    status: number,
    body: string,
    requestId: string,
    extra: Record<string, string> = {},
  ): void {
    // JSON 1.0 (SQS) or 1.1 (SSM, EventBridge), as the model's metadata says.
    const jsonVersion = loaded?.model.metadata?.jsonVersion;
    res.writeHead(status, {
      'content-type':
        protocol === 'json' && jsonVersion
          ? `application/x-amz-json-${jsonVersion}`
          : CONTENT_TYPES[protocol],
      'content-length': Buffer.byteLength(body),
      'x-amzn-requestid': requestId,
      ...extra,
    });
    res.end(body);
  }

  return async function dispatch(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const requestId = randomUUID();
    // Call log timestamps are when the request arrived (tests measure request spacing with them).
    const arrivedAt = env.world.clock.now();
    const url = new URL(req.url ?? '/', 'http://localcloud');
    const scope = credentialScope(req.headers.authorization, url.searchParams);
    const target = req.headers['x-amz-target'];
    const text = body.toString('utf8');
    const loaded = scope ? bySigningName.get(scope.service) : undefined;
    const protocol: AwsProtocol = loaded?.service.protocol ?? (typeof target === 'string' ? 'json' : 'query');
    const region = scope?.region ?? 'us-east-1';
    const serviceName = scope?.service ?? 'unknown';

    let operation = 'unknown';
    let params: Record<string, unknown> = {};
    let tree: ReturnType<typeof formTree> | undefined;
    if (protocol === 'json') {
      operation = typeof target === 'string' ? (target.split('.').pop() ?? 'unknown') : 'unknown';
    } else {
      const form = new URLSearchParams(url.search);
      for (const [k, v] of new URLSearchParams(text)) form.set(k, v);
      operation = form.get('Action') ?? 'unknown';
      tree = formTree(form);
    }

    // One call-log entry per request, whatever its outcome.
    const record = (status: number, errorCode?: string, fault?: string) =>
      env.logs.recordCall({
        ts: arrivedAt,
        service: serviceName,
        region,
        operation,
        params,
        status,
        ...(errorCode ? { errorCode } : {}),
        requestId,
        ...(fault ? { fault } : {}),
      });

    const fail = (err: AwsError, fault?: FaultRule) => {
      const errorBody =
        protocol === 'json'
          ? serializeJsonError(err.code, err.message)
          : serializeQueryError(
              loaded?.model ?? loadModel('sts'),
              protocol,
              err.code,
              err.message,
              err.status,
              requestId,
            );
      record(err.status, err.code, fault ? (fault.after ? `${fault.kind}-after` : fault.kind) : undefined);
      const queryCodes = loaded?.service.queryErrorCodes;
      const compat: Record<string, string> = queryCodes
        ? {
            'x-amzn-query-error': `${queryCodes[err.code] ?? err.code};${err.status >= 500 ? 'Receiver' : 'Sender'}`,
          }
        : {};
      send(res, loaded, protocol, err.status, errorBody, requestId, compat);
    };

    if (!scope)
      return fail(new AwsError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403));
    if (!loaded)
      return fail(new AwsError('InvalidAction', `localcloud does not serve the service "${scope.service}"`));
    const { model, service } = loaded;
    const op = model.operations[operation];
    const handler = service.handlers[operation];
    if (!op || !handler) {
      const code = protocol === 'json' ? 'UnknownOperationException' : 'InvalidAction';
      return fail(
        new AwsError(code, `The action ${operation} is not valid for this web service (localcloud).`),
      );
    }

    try {
      params =
        protocol === 'json'
          ? parseJsonParams(model, op.input, text)
          : parseQueryParams(model, protocol, op.input, tree ?? {});
    } catch {
      const code = protocol === 'json' ? 'SerializationException' : 'MalformedQueryString';
      return fail(new AwsError(code, 'The request body could not be parsed.'));
    }

    await env.faults.hold(serviceName, operation, region);
    const outcome = env.faults.decide(serviceName, operation, region);
    if (outcome.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, outcome.latencyMs));
    const failure = outcome.failure;
    const drop = () => {
      record(0, 'ConnectionDropped', failure?.after ? 'drop-after' : 'drop');
      req.socket.destroy();
    };
    // Not AWS at all: a proxy or emulator in the way answers its own HTML error page.
    const html = () => {
      const status = failure?.status ?? 500;
      record(status, 'NonAwsAnswer', failure?.after ? 'html-after' : 'html');
      const page = `<html><head><title>${status} Internal Server Error</title></head><body><h1>${status} Internal Server Error</h1><hr><center>nginx</center></body></html>\n`;
      res.writeHead(status, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(page) });
      res.end(page);
    };
    const answerFault = (f: FaultRule) =>
      f.kind === 'drop' ? drop() : f.kind === 'html' ? html() : fail(faultError(protocol, f), f);
    if (failure && !failure.after) return answerFault(failure);

    const denied = env.iam?.authorize(serviceName, protocol, operation, params, env.world.region(region));
    if (denied) return fail(denied);

    let output: object;
    const gone = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) gone.abort();
    };
    res.once('close', onClose);
    try {
      validate(loaded, operation, params);
      output = await handler(
        { operation, params, headers: req.headers },
        {
          world: env.world,
          region: env.world.region(region),
          requestId,
          now: env.world.clock.now(),
          signal: gone.signal,
        },
      );
    } catch (err) {
      if (err instanceof AwsError) return fail(err);
      console.error(`localcloud: ${serviceName}.${operation} failed:`, err);
      return fail(serverError(protocol, 500));
    }
    // The operation took effect; the answer is lost.
    if (failure?.after) return answerFault(failure);
    const responseBody =
      protocol === 'json'
        ? serializeJsonResponse(model, op.output, output as Record<string, unknown>)
        : serializeQueryResponse(
            model,
            protocol,
            operation,
            op.output,
            output as Record<string, unknown>,
            requestId,
          );
    record(200, undefined, outcome.latencyMs > 0 ? 'latency' : undefined);
    send(res, loaded, protocol, 200, responseBody, requestId);
  };
}
