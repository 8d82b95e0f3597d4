/**
 * What went in and what came out of a chaos run, and what that says about each fault.
 *
 * A message counts as "in" once Kafka acknowledged it (a send the producer had to retry keeps
 * the time of its first try, so its latency includes the outage it waited out). It counts as
 * "out" when a tagged record with its id (the record key) reached the output topic; a second
 * record with the same key is a duplicate.
 */

export interface Arrival {
  id: string;
  /** When the producer first tried to send the message (ms since the epoch). */
  sentAt: number;
  /** When the collector read its tagged record. */
  at: number;
}

export interface Fault {
  name: string;
  /** When the fault was injected (the kill, or the start of the service's stop). */
  injectedAt: number;
  /** When the killed process answered /readyz again, or the service was up again. */
  backAt?: number;
  /** When the run judged the pipeline healthy again (online, from the latest arrivals). */
  healthyAt?: number;
  /** A broker kill: the partitions it led, and when every one of them had a new leader (bench/chaos/broker-fault.ts). */
  election?: { led: number; electedAt?: number };
}

export interface FaultReport {
  name: string;
  /** Fault → the killed process or restarted service is back. */
  backMs: number | undefined;
  /** Fault → the first message sent after the fault comes out: the pipeline flows again. */
  resumedMs: number | undefined;
  /**
   * Fault → the last message sent after it (and before the next fault) that came out slower
   * than normal: after this, latency was back to what it was before any fault.
   */
  recoveredMs: number | undefined;
  /** Messages sent after the fault (before the next one) that came out, for context. */
  measured: number;
}

export function createLedger() {
  /** First send attempt of every message; Kafka may hold one before its ack reaches us. */
  const firstTriedAt = new Map<string, number>();
  const acknowledged = new Set<string>();
  const outputs = new Map<string, number>();
  const arrivals: Arrival[] = [];
  /** The broker's append time of every output record, duplicates included: when output happened. */
  const appended: number[] = [];
  let inputRecords = 0;
  let outputRecords = 0;
  let deadLetters = 0;
  let fetchFailed = 0;

  return {
    /** The producer is about to send these (again, after a failed try: the first time stays). */
    trying(ids: string[], at: number): void {
      for (const id of ids) if (!firstTriedAt.has(id)) firstTriedAt.set(id, at);
    },

    /** Kafka acknowledged these: they are "in". */
    acknowledged(ids: string[]): void {
      inputRecords += ids.length;
      for (const id of ids) acknowledged.add(id);
    },

    output(id: string, at: number, fetchStatus: unknown, appendedAt?: number): void {
      outputRecords++;
      if (appendedAt !== undefined && Number.isFinite(appendedAt)) appended.push(appendedAt);
      const seen = outputs.get(id) ?? 0;
      outputs.set(id, seen + 1);
      if (seen > 0) return;
      if (fetchStatus !== 'ok') fetchFailed++;
      const sentAt = firstTriedAt.get(id);
      if (sentAt !== undefined) arrivals.push({ id, sentAt, at });
    },

    deadLetter(): void {
      deadLetters++;
    },

    get messagesIn(): number {
      return acknowledged.size;
    },
    get distinctOut(): number {
      let count = 0;
      for (const id of acknowledged) if (outputs.has(id)) count++;
      return count;
    },
    arrivals: (): readonly Arrival[] => arrivals,
    appended: (): readonly number[] => appended,
    lost: (): string[] => [...acknowledged].filter((id) => !outputs.has(id)),

    totals() {
      const distinctOut = this.distinctOut;
      return {
        messagesIn: acknowledged.size,
        /** Acknowledged sends, counting a batch the producer sent again after an unclear failure. */
        inputRecords,
        distinctOut,
        lost: acknowledged.size - distinctOut,
        outputRecords,
        duplicates: outputRecords - outputs.size,
        deadLetters,
        /** Published, but with empty content: the page could not be fetched. */
        fetchFailed,
        /** Output records for ids this run never sent (must be 0: the topics are the run's own). */
        strangers: [...outputs.keys()].filter((id) => !firstTriedAt.has(id)).length,
      };
    },
  };
}

export type Ledger = ReturnType<typeof createLedger>;

/** The p-quantile (0–1) of `values`, or undefined when there are none. */
export function quantile(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/**
 * The latency above which a message counts as slowed by a fault: twice the p95 of the
 * messages that went through before the first fault, and at least a second more than it.
 */
export function slowThresholdMs(arrivals: readonly Arrival[], firstFaultAt: number): number {
  const before = arrivals.filter((arrival) => arrival.at < firstFaultAt).map((arrival) => arrival.at - arrival.sentAt);
  const p95 = quantile(before, 0.95) ?? 1000;
  return Math.max(2 * p95, p95 + 1000);
}

/** Per fault: when its part was back, when messages flowed again, when latency was normal again. */
export function faultReports(faults: readonly Fault[], arrivals: readonly Arrival[], thresholdMs: number): FaultReport[] {
  return faults.map((fault, index) => {
    const until = faults[index + 1]?.injectedAt ?? Number.POSITIVE_INFINITY;
    const after = arrivals.filter((arrival) => arrival.sentAt >= fault.injectedAt && arrival.sentAt < until);
    const firstOut = Math.min(...after.map((arrival) => arrival.at));
    const slow = after.filter((arrival) => arrival.at - arrival.sentAt > thresholdMs);
    const lastSlow = Math.max(...slow.map((arrival) => arrival.at));
    const resumedMs = after.length > 0 ? firstOut - fault.injectedAt : undefined;
    return {
      name: fault.name,
      backMs: fault.backAt === undefined ? undefined : fault.backAt - fault.injectedAt,
      resumedMs,
      recoveredMs: after.length === 0 ? undefined : slow.length > 0 ? lastSlow - fault.injectedAt : resumedMs,
      measured: after.length,
    };
  });
}

/**
 * True when the pipeline looks healthy again after a fault: the latest `window` arrivals were
 * all sent after it and all came out at normal latency.
 */
export function healthySince(arrivals: readonly Arrival[], since: number, thresholdMs: number, window: number): boolean {
  const latest = arrivals.slice(-window);
  return latest.length === window && latest.every((arrival) => arrival.sentAt >= since && arrival.at - arrival.sentAt <= thresholdMs);
}
