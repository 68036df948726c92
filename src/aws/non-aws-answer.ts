// An SDK middleware that turns an answer no AWS service would give (a proxy's or emulator's HTML
// error page) into one line naming the operation, the HTTP status and the endpoint.
import { ActionFailure } from '../core/errors.js';

/** What the SDK puts on an error it could not deserialize. */
interface RawError {
  message?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string; attempts?: number };
  $response?: { statusCode?: number; headers?: Record<string, string | undefined>; body?: unknown };
}

interface Request {
  protocol?: string;
  hostname?: string;
  port?: number;
  path?: string;
}

interface Stack {
  middlewareStack: {
    add(
      mw: (
        next: (a: { request?: unknown }) => Promise<unknown>,
        context: Record<string, unknown>,
      ) => (args: { request?: unknown }) => Promise<unknown>,
      options: { step: 'initialize' | 'build'; name: string; override?: boolean },
    ): void;
  };
}

/** The answer is AWS's when it carries a request id or an XML/JSON body the SDK could parse. */
export function isNonAwsAnswer(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as RawError;
  const status = e.$response?.statusCode ?? e.$metadata?.httpStatusCode;
  if (!e.$response || status === undefined) return false;
  const headers = e.$response.headers ?? {};
  const requestId = headers['x-amzn-requestid'] ?? headers['x-amz-request-id'] ?? e.$metadata?.requestId;
  const type = (headers['content-type'] ?? '').toLowerCase();
  const awsType = /xml|json/.test(type);
  return !requestId && (!awsType || /Deserialization error/.test(e.message ?? ''));
}

/** A few words of what answered: the page's title, or the start of its text. */
function gist(body: unknown): string {
  if (typeof body !== 'string' || !body.trim()) return '';
  const title = /<title>([^<]*)<\/title>/i.exec(body)?.[1];
  const text = (title ?? body.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
  return text ? `: "${text.length > 60 ? `${text.slice(0, 57)}...` : text}"` : '';
}

function endpointOf(r: Request | undefined): string {
  if (!r?.hostname) return 'the AWS endpoint';
  return `${r.protocol ?? 'https:'}//${r.hostname}${r.port ? `:${r.port}` : ''}${r.path && r.path !== '/' ? r.path : ''}`;
}

export function nonAwsAnswerError(
  err: unknown,
  operation: string,
  request: Request | undefined,
): ActionFailure {
  const e = err as RawError;
  const status = e.$response?.statusCode ?? e.$metadata?.httpStatusCode;
  const type = e.$response?.headers?.['content-type'] ?? 'no content type';
  const attempts = e.$metadata?.attempts;
  return new ActionFailure(
    `${operation}: ${endpointOf(request)} answered HTTP ${status} with ${type}${gist(e.$response?.body)}, ` +
      `not an AWS response${attempts && attempts > 1 ? ` (${attempts} attempts)` : ''}; ` +
      'check AWS_ENDPOINT_URL, the proxy settings and the region',
    { cause: err },
  );
}

/**
 * Adds the mapping to a client. The endpoint is read in the build step (the request is resolved
 * by then); the error is mapped in the initialize step, outside the SDK's retries, so it is
 * reported once after the retry strategy's bounded attempts.
 */
export function reportNonAwsAnswers(client: Stack): void {
  const requests = new WeakMap<object, Request>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (args.request && typeof args.request === 'object') requests.set(context, args.request as Request);
      return next(args);
    },
    { step: 'build', name: 'goldenAmiRecordEndpoint', override: true },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (err) {
        if (!isNonAwsAnswer(err)) throw err;
        throw nonAwsAnswerError(
          err,
          String(context.commandName ?? 'AWS call').replace(/Command$/, ''),
          requests.get(context),
        );
      }
    },
    { step: 'initialize', name: 'goldenAmiNonAwsAnswer', override: true },
  );
}
