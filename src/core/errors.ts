// Error kinds the boundary in run.ts knows how to report in one line.

/** A user mistake: bad or conflicting inputs. Lists every problem at once. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  constructor(readonly problems: string[]) {
    super(
      problems.length === 1
        ? `Invalid input: ${problems[0]}`
        : `Invalid inputs (${problems.length}):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
}

/** A deadline ran out; `phase` says which part of the work did not finish. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(
    readonly phase: string,
    message: string,
  ) {
    super(message);
  }
}

/** The runner cancelled the job (SIGINT/SIGTERM). */
export class AbortedError extends Error {
  override readonly name = 'AbortedError';
  constructor(message = 'cancelled') {
    super(message);
  }
}

/** The work ran and failed for a reason the action understands (not a bug, not bad input). */
export class ActionFailure extends Error {
  override readonly name = 'ActionFailure';
}

/** A failure whose job summary the entry already wrote: the boundary adds no second heading. */
export class SummarizedFailure extends ActionFailure {}

/** Fields the AWS SDK v3 puts on service errors. */
interface AwsLikeError {
  name?: string;
  Code?: string;
  code?: string;
  $metadata?: { requestId?: string; httpStatusCode?: number };
  $fault?: 'client' | 'server';
}

export function awsErrorCode(err: unknown): string | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as AwsLikeError;
  if (!e.$metadata) return undefined;
  return e.Code ?? e.code ?? e.name;
}

export function awsRequestId(err: unknown): string | undefined {
  if (!err || typeof err !== 'object') return undefined;
  return (err as AwsLikeError).$metadata?.requestId;
}

/** One line for the log: message, then AWS code and request id when there is one. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = awsErrorCode(err);
  const requestId = awsRequestId(err);
  const extra = [
    code && code !== err.message ? `code ${code}` : '',
    requestId ? `request id ${requestId}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const message = err.message || err.name;
  return extra ? `${message} (${extra})` : message;
}

/** Wrap a cloud error with what we were doing, keeping code and request id visible. */
export function withContext(what: string, err: unknown): Error {
  if (err instanceof ConfigurationError || err instanceof AbortedError || err instanceof TimeoutError)
    return err;
  const wrapped = new ActionFailure(`${what}: ${describeError(err)}`, { cause: err });
  return wrapped;
}
