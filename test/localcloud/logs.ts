/**
 * What localcloud was asked and what changed: the call log records every request (including
 * refused and faulted ones), the mutation log every successful state-changing call. Tests assert
 * on these instead of on client-side mocks.
 */
/** One successful state-changing call. */
export interface MutationRecord {
  seq: number;
  ts: number;
  service: string;
  region: string;
  operation: string;
  params: unknown;
  requestId: string;
}

/** One request, whatever its outcome. */
export interface CallRecord extends MutationRecord {
  status: number;
  errorCode?: string;
  /** Set when a fault rule shaped this call; `<kind>-after` when the operation applied before the fault. */
  fault?: string;
}

export interface LogQuery {
  service?: string;
  operation?: string;
  region?: string;
  /** Only records with seq greater than this. */
  since?: number;
}

/** Operations that read without changing state (besides the Describe/Get/List families). */
const READ_ONLY_EXCEPTIONS = new Set(['GetCallerIdentity']);

export function isMutating(operation: string): boolean {
  if (READ_ONLY_EXCEPTIONS.has(operation)) return false;
  return !/^(Describe|Get|List)/.test(operation);
}

class BoundedLog<T extends { seq: number; service: string; operation: string; region: string }> {
  private records: T[] = [];
  private seq = 0;

  constructor(private readonly limit: number) {}

  nextSeq(): number {
    return ++this.seq;
  }

  push(record: T): void {
    this.records.push(record);
    // Long demos and benchmarks must not grow memory without bound.
    if (this.records.length > this.limit) this.records.splice(0, this.records.length - this.limit);
  }

  query(q: LogQuery = {}): T[] {
    return this.records.filter(
      (r) =>
        (q.service === undefined || r.service === q.service) &&
        (q.operation === undefined || r.operation === q.operation) &&
        (q.region === undefined || r.region === q.region) &&
        (q.since === undefined || r.seq > q.since),
    );
  }

  clear(): void {
    this.records = [];
  }
}

export class Logs {
  readonly calls = new BoundedLog<CallRecord>(50_000);
  readonly mutations = new BoundedLog<MutationRecord>(50_000);

  /** Records a call; it also goes to the mutation log when it changed state (unless `mutating` says otherwise). */
  recordCall(call: Omit<CallRecord, 'seq'>, mutating?: boolean): CallRecord {
    const record = { seq: this.calls.nextSeq(), ...call };
    this.calls.push(record);
    const applied = call.status < 300 || call.fault?.endsWith('-after') === true;
    if (applied && (mutating ?? isMutating(call.operation))) this.recordMutation(call);
    return record;
  }

  recordMutation(m: Omit<MutationRecord, 'seq'>): void {
    this.mutations.push({
      seq: this.mutations.nextSeq(),
      ts: m.ts,
      service: m.service,
      region: m.region,
      operation: m.operation,
      params: m.params,
      requestId: m.requestId,
    });
  }

  clear(): void {
    this.calls.clear();
    this.mutations.clear();
  }
}
