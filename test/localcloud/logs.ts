/**
 * What localcloud was asked and what changed: the call log records every request (including
 * refused and faulted ones), the mutation log every successful state-changing call. Tests assert
 * on these instead of on client-side mocks.
 */
export interface CallRecord {
  seq: number;
  ts: number;
  service: string;
  region: string;
  operation: string;
  params: unknown;
  status: number;
  errorCode?: string;
  requestId: string;
  /** Set when a fault rule shaped this call; `<kind>-after` when the operation applied before the fault. */
  fault?: string;
}

export interface MutationRecord {
  seq: number;
  ts: number;
  service: string;
  region: string;
  operation: string;
  params: unknown;
  requestId: string;
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
  // Octopus operations are logged as "<METHOD> <path>".
  if (/^(GET|HEAD|OPTIONS) /.test(operation)) return false;
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

  recordCall(call: Omit<CallRecord, 'seq'>): CallRecord {
    const record = { seq: this.calls.nextSeq(), ...call };
    this.calls.push(record);
    const applied = call.status < 300 || call.fault?.endsWith('-after') === true;
    if (applied && isMutating(call.operation)) {
      this.mutations.push({
        seq: this.mutations.nextSeq(),
        ts: call.ts,
        service: call.service,
        region: call.region,
        operation: call.operation,
        params: call.params,
        requestId: call.requestId,
      });
    }
    return record;
  }

  clear(): void {
    this.calls.clear();
    this.mutations.clear();
  }
}
