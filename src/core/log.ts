// The logging interface capabilities write to, and an in-memory log for tests.
/** The logging surface capabilities use; the entry backs it with @actions/core. */
export interface Log {
  info(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Register a value that must never be printed. */
  secret(value: string): void;
}

/** A log that remembers lines: for unit tests and for callers that collect output. */
export function memoryLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => void lines.push(m),
    warning: (m) => void lines.push(`warning: ${m}`),
    debug: (m) => void lines.push(`debug: ${m}`),
    group: async (name, fn) => {
      lines.push(`[${name}]`);
      return fn();
    },
    secret: () => undefined,
  };
}
