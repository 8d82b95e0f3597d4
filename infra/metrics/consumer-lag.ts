import type { Admin } from 'kafkajs';

export interface PartitionLag {
  partition: number;
  /** The group's committed offset (the next record it will read); null when it never committed. */
  committed: string | null;
  /** The partition's log end (high watermark). */
  end: string;
  /** Records between the two; from the log start when the group never committed (it reads from the beginning). */
  lag: number;
}

/**
 * How far a consumer group is behind on one topic, per partition: log end minus committed
 * offset, as Kafka itself sees it (`kafka-consumer-groups --describe`), so it is right even
 * when the consumer is down.
 */
export async function consumerGroupLag(admin: Admin, groupId: string, topic: string): Promise<PartitionLag[]> {
  const [committedByTopic, ends] = await Promise.all([admin.fetchOffsets({ groupId, topics: [topic] }), admin.fetchTopicOffsets(topic)]);
  const committed = new Map(
    (committedByTopic.find((entry) => entry.topic === topic)?.partitions ?? []).map((entry) => [entry.partition, entry.offset]),
  );
  return ends
    .map(({ partition, high, low }) => {
      const offset = committed.get(partition);
      const hasCommit = offset !== undefined && offset !== '-1';
      const from = BigInt(hasCommit ? offset : low);
      const behind = BigInt(high) - from;
      return { partition, committed: hasCommit ? offset : null, end: high, lag: Number(behind > 0n ? behind : 0n) };
    })
    .sort((a, b) => a.partition - b.partition);
}
