/**
 * What a broker kill costs, measured two ways beside each other (bench:chaos on the cluster
 * profile, docs/operations.md "On the cluster profile"):
 *
 * - the leader election: from the kill until every partition the killed broker led (the run's
 *   topics and `__consumer_offsets`, whose leaders are the group coordinators) has another
 *   leader, seen by polling metadata from the surviving brokers;
 * - the output pause: the longest gap between consecutive records on the output topic around
 *   the fault, by the brokers' append time (the topic is switched to LogAppendTime), so the
 *   collector's own reconnect is not counted — beside the longest gap before the fault.
 */
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LeaderWatch {
  /** Partitions (topic/partition) the killed broker led when the watch started. */
  readonly led: readonly string[];
  /** Resolves with the time (ms since the epoch) every one of them had a new leader, or undefined at the deadline. */
  readonly elected: Promise<number | undefined>;
  stop(): Promise<void>;
}

const POLL_MS = 100;

/**
 * Records which partitions `nodeId` leads, then (call `start` right after the kill) polls the
 * other brokers until none of them names `nodeId` as leader.
 */
export async function watchLeaders(survivors: string[], nodeId: number, topics: string[], timeoutMs: number) {
  const admin: Admin = new Kafka({ clientId: 'chaos-leader-watch', brokers: survivors, logLevel: logLevel.NOTHING, retry: { retries: 0 }, requestTimeout: 2000, connectionTimeout: 500 }).admin();
  await admin.connect();
  const watched = [...topics, '__consumer_offsets'];
  const ledBy = async (): Promise<string[]> => {
    const metadata = await admin.fetchTopicMetadata({ topics: watched });
    return metadata.topics.flatMap((topic) => topic.partitions.filter((partition) => partition.leader === nodeId).map((partition) => `${topic.name}/${partition.partitionId}`));
  };
  const led = await ledBy();
  let stopped = false;
  return {
    led,
    /** Starts polling; call it at the moment of the kill. */
    start(): LeaderWatch {
      const deadline = Date.now() + timeoutMs;
      const elected = (async () => {
        if (led.length === 0) return Date.now();
        while (!stopped && Date.now() < deadline) {
          const polledAt = Date.now();
          // A poll that reaches the killed broker, or a broker busy with the election, fails: skip it.
          const still = await ledBy().catch(() => undefined);
          if (still !== undefined && still.length === 0) return polledAt;
          await sleep(Math.max(0, POLL_MS - (Date.now() - polledAt)));
        }
        return undefined;
      })();
      return {
        led,
        elected,
        async stop() {
          stopped = true;
          await elected.catch(() => undefined);
          await admin.disconnect().catch(() => undefined);
        },
      };
    },
    async close() {
      await admin.disconnect().catch(() => undefined);
    },
  };
}

/**
 * The node id of the broker coordinating `groupId`: the leader of its `__consumer_offsets`
 * partition, which Kafka picks as abs(Java String.hashCode(groupId)) mod the topic's partition
 * count (GroupCoordinatorService.partitionFor).
 */
export async function groupCoordinatorNode(admin: Admin, groupId: string): Promise<number> {
  const [offsets] = (await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] })).topics;
  if (!offsets || offsets.partitions.length === 0) throw new Error('__consumer_offsets has no partitions yet: has any consumer group joined?');
  const partitionId = coordinatorPartition(groupId, offsets.partitions.length);
  const partition = offsets.partitions.find((candidate) => candidate.partitionId === partitionId);
  if (!partition || partition.leader < 0) throw new Error(`__consumer_offsets/${partitionId} (group ${groupId}) has no leader`);
  return partition.leader;
}

/** The `__consumer_offsets` partition of a group: Kafka's Utils.abs(groupId.hashCode()) % partitions. */
export function coordinatorPartition(groupId: string, partitions: number): number {
  let hash = 0; // Java's String.hashCode: UTF-16 code units, 32-bit overflow
  for (let index = 0; index < groupId.length; index++) hash = (Math.imul(31, hash) + groupId.charCodeAt(index)) | 0;
  return (hash === -2147483648 ? 0 : Math.abs(hash)) % partitions;
}

/** Sets the topic's record timestamps to the broker's append time (it is the run's own topic). */
export async function useAppendTime(admin: Admin, topic: string): Promise<void> {
  // ConfigResourceTypes.TOPIC = 2
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: topic, configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] }] });
}

export interface OutputPause {
  /** The longest gap between outputs (append time) that ends after the fault. */
  longestMs: number;
  /** When that gap started, relative to the fault (negative: before it). */
  startsAtMs: number;
  /** The longest gap in the same length of time just before the fault, for comparison. */
  beforeMs: number;
  /** Outputs per second, from 5 s before the fault to `afterMs` after it. */
  perSecond: number[];
}

/**
 * The output pause around a fault at `faultAt`, from the output records' append times
 * (`appended`, any order), looking `afterMs` past it.
 */
export function outputPause(appended: readonly number[], faultAt: number, afterMs: number): OutputPause | undefined {
  const times = [...appended].sort((a, b) => a - b);
  /** The longest gap ending after `from` and starting before `to` (`within`: also ending by `to`). */
  const gaps = (from: number, to: number, within = false) => {
    let longest = 0;
    let startsAt = from;
    for (let index = 1; index < times.length; index++) {
      const previous = times[index - 1]!;
      const current = times[index]!;
      if (current <= from || previous >= to || (within && current > to)) continue;
      if (current - previous > longest) {
        longest = current - previous;
        startsAt = previous;
      }
    }
    return { longest, startsAt };
  };
  if (!times.some((time) => time > faultAt)) return undefined;
  const after = gaps(faultAt, faultAt + afterMs);
  // Before the fault: gaps that ended before it (the one it interrupted belongs to the fault).
  const before = gaps(faultAt - afterMs, faultAt, true);
  const perSecond: number[] = [];
  for (let second = -5; second < Math.ceil(afterMs / 1000); second++) {
    const from = faultAt + second * 1000;
    perSecond.push(times.filter((time) => time >= from && time < from + 1000).length);
  }
  return { longestMs: after.longest, startsAtMs: after.startsAt - faultAt, beforeMs: before.longest, perSecond };
}
