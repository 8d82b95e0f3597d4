import type { Kafka, Producer } from 'kafkajs';
import { lazyClient } from '../clients/lazy-client';
import type { ReadinessCheck } from '../metrics/readiness';

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
  let closed = false;
  let probe: Promise<void> | undefined;

  /** Connected now, or connects: the same connection the sends use. */
  async function usable(): Promise<void> {
    if (closed) throw new Error('the producer is closed');
    const connected = await connection.get();
    // kafkajs reconnects a producer whose broker connections all dropped (Kafka restarted, a
    // network cut) on its next connect or send; on a live connection this connect is a no-op.
    await connected.connect();
  }

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

    /**
     * `/readyz`'s Kafka check through this producer's own connection: ready when it is
     * connected (or connects now: a process that has not published yet, one whose first
     * connect failed), not ready while Kafka refuses it. Checks at the same time share one try.
     */
    readiness(): ReadinessCheck {
      return {
        name: 'kafka',
        client: `producer (${topic})`,
        check() {
          probe ??= usable().finally(() => (probe = undefined));
          return probe;
        },
      };
    },

    async close(): Promise<void> {
      closed = true;
      const connected = connection.reset();
      if (connected) await connected.then((client) => client.disconnect()).catch(() => undefined);
    },
  };
}

export type TaggedProducer = ReturnType<typeof createTaggedProducer>;
