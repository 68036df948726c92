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

/**
 * Work that failed after doing part of it, or refused with a plan to show: `result` says what was
 * (or would have been) done. The boundary writes the capability's outputs and summary from it,
 * then fails the step with one line.
 */
export class PartialFailure<R = unknown> extends ActionFailure {
  /** What the step fails with: this failure, or the error `carrying` was given (its line, code and kind). */
  readonly reason: unknown;

  constructor(
    message: string,
    readonly result: R,
    options?: { cause?: unknown; reportAs?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.reason = options && 'reportAs' in options ? options.reportAs : this;
  }

  /** `err`, reported exactly as it would be alone, with what was done before it. */
  static carrying<R>(err: unknown, result: R): PartialFailure<R> {
    const message = err instanceof Error ? err.message : String(err);
    return new PartialFailure(message, result, { cause: err, reportAs: err });
  }
}

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
