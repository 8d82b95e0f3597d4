/**
 * A client connected on first use, for processes that may never need it. A connect that
 * failed is forgotten, so the next use tries again: caching the rejected promise (the
 * `client ??= connect()` idiom) would fail every later use at once with the first error, long
 * after the service came back.
 *
 * ```ts
 * const temporal = lazyClient(() => connectTemporalClient(config.temporal));
 * const client = await temporal.get(); // connects, or waits for the connect in flight
 * ```
 */
export function lazyClient<T>(connect: () => Promise<T>) {
  let pending: Promise<T> | undefined;
  return {
    /** The connected client: connects now when not yet (or no longer) connected. */
    get(): Promise<T> {
      if (!pending) {
        const attempt = connect();
        pending = attempt;
        attempt.catch(() => {
          // Only forget this attempt: a newer one may have started since.
          if (pending === attempt) pending = undefined;
        });
      }
      return pending;
    },

    /** The client when a connect succeeded or is in flight; undefined when none was made or the last one failed. */
    current(): Promise<T> | undefined {
      return pending;
    },

    /** Forgets the client (after closing it), so the next `get()` connects again. Returns what was there. */
    reset(): Promise<T> | undefined {
      const previous = pending;
      pending = undefined;
      return previous;
    },
  };
}

export type LazyClient<T> = ReturnType<typeof lazyClient<T>>;
