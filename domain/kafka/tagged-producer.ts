import type { Kafka, Producer } from 'kafkajs';
import { lazyClient } from '../clients/lazy-client';

export interface TaggedRecord {
  key: string;
  value: string;
  headers: Record<string, string>;
}

/**
 * The idempotent producer tagged messages go out through: acks from all in-sync replicas,
 * retries that never duplicate a record within a producer session. It connects on the first
 * send; a connect that failed (Kafka down at that moment) is made again by the next send, so
 * publishes recover when Kafka does, without a restart.
 */
export function createTaggedProducer(kafka: Kafka, topic: string) {
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5, allowAutoTopicCreation: false });
  const connection = lazyClient(async () => {
    await producer.connect();
    return producer;
  });
  return {
    async send(records: TaggedRecord[]): Promise<Array<{ partition: number; offset: string }>> {
      const connected = await connection.get();
      const metadata = await connected.send({ topic, acks: -1, messages: records });
      // One record per call in the common case; kafkajs reports the base offset per partition.
      return records.map((_, index) => {
        const entry = metadata[Math.min(index, metadata.length - 1)];
        return { partition: entry?.partition ?? -1, offset: entry?.baseOffset ?? entry?.offset ?? '-1' };
      });
    },

    async close(): Promise<void> {
      const connected = connection.reset();
      if (connected) await connected.then((client) => client.disconnect()).catch(() => undefined);
    },
  };
}

export type TaggedProducer = ReturnType<typeof createTaggedProducer>;
