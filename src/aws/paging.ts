// How a shared lookup reads its pages: the caller's abort signal, and a hook every page's command
// passes through before it is sent (wait-healthy charges each page to its request budget there).

/** The part of an SDK command a hook touches: its own middleware stack. */
export interface SdkCommand {
  middlewareStack: {
    add(middleware: unknown, options: { step: 'finalizeRequest'; priority: 'low'; name: string }): void;
  };
}

export interface Paging {
  signal?: AbortSignal;
  /** Called with each page's command (every page is a request of its own). */
  eachCommand?: <C extends SdkCommand>(command: C) => C;
}

/** An SDK paginator's config and per-call options for a client and a Paging. */
export function paginatorArgs<C>(client: C, paging: Paging, pageSize?: number) {
  return [
    {
      client,
      ...(pageSize ? { pageSize } : {}),
      ...(paging.eachCommand ? { withCommand: paging.eachCommand } : {}),
    },
    { abortSignal: paging.signal },
  ] as const;
}
