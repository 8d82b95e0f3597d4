import { setTimeout as sleep } from 'node:timers/promises';

export interface EventuallyOptions {
  /** Give up after this long. @default 30_000 */
  timeoutMs?: number;
  /** Wait between checks. @default 100 */
  intervalMs?: number;
}

/**
 * Waits until `check` returns a value other than `undefined` (or `false`) and returns it.
 * Tests wait on the condition they mean, never for a fixed time: a fixed sleep is either too
 * short on a busy machine (a flake) or too long everywhere (a slow suite). A check that
 * throws is retried like one that is not yet true; the last error is in the timeout message,
 * so a test that times out says what it was waiting for and what it last saw.
 */
export async function eventually<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: EventuallyOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const last = lastError instanceof Error ? `; last error: ${lastError.message}` : lastError === undefined ? '' : `; last error: ${String(lastError)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last}`);
    }
    await sleep(intervalMs);
  }
}
