// Octopus calls in the same shape as localcloud's AWS call log, so tests read both alike:
// `service` is "octopus", `region` holds the space id the call ran in ("-" when none).

export interface OctopusCallEntry {
  ts: number;
  service: 'octopus';
  region: string;
  operation: string;
  params: Record<string, unknown>;
  status: number;
  errorCode?: string;
}

export interface OctopusMutationEntry {
  ts: number;
  service: 'octopus';
  region: string;
  operation: string;
  params: Record<string, unknown>;
}

/** Where entries go: the simulator's own arrays, and optionally the shared localcloud logs. */
export interface OctopusLogSink {
  call(entry: OctopusCallEntry): void;
  mutation(entry: OctopusMutationEntry): void;
}

export class OctopusLogs implements OctopusLogSink {
  calls: OctopusCallEntry[] = [];
  mutations: OctopusMutationEntry[] = [];

  constructor(private readonly forward?: OctopusLogSink) {}

  call(entry: OctopusCallEntry): void {
    this.calls.push(entry);
    this.forward?.call(entry);
  }

  mutation(entry: OctopusMutationEntry): void {
    this.mutations.push(entry);
    this.forward?.mutation(entry);
  }

  clear(): void {
    this.calls = [];
    this.mutations = [];
  }

  count(operation?: string): number {
    return operation ? this.calls.filter((c) => c.operation === operation).length : this.calls.length;
  }
}

/** Error codes for the call log, named after the HTTP status Octopus answered with. */
export function errorCodeFor(status: number): string | undefined {
  if (status < 400) return undefined;
  const names: Record<number, string> = {
    400: 'BadRequest',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    405: 'MethodNotAllowed',
    409: 'Conflict',
    500: 'InternalServerError',
    503: 'ServiceUnavailable',
  };
  return names[status] ?? `Http${status}`;
}
