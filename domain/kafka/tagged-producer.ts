import type { Kafka, Producer } from 'kafkajs';

export interface TaggedRecord {
  key: string;
  value: string;
  headers: Record<string, string>;
}

/**
 * The idempotent producer tagged messages go out through: acks from all in-sync replicas,
 * retries that never duplicate a record within a producer session.
 */
export function createTaggedProducer(kafka: Kafka, topic: string) {
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5, allowAutoTopicCreation: false });
  let connected: Promise<void> | undefined;
  return {
    async send(records: TaggedRecord[]): Promise<Array<{ partition: number; offset: string }>> {
      connected ??= producer.connect();
      await connected;
      const metadata = await producer.send({ topic, acks: -1, messages: records });
      // One record per call in the common case; kafkajs reports the base offset per partition.
      return records.map((_, index) => {
        const entry = metadata[Math.min(index, metadata.length - 1)];
        return { partition: entry?.partition ?? -1, offset: entry?.baseOffset ?? entry?.offset ?? '-1' };
      });
    },
    async close(): Promise<void> {
      if (connected) await producer.disconnect();
    },
  };
}

export type TaggedProducer = ReturnType<typeof createTaggedProducer>;
