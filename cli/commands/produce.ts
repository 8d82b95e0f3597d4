import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { createKafka, MissingTopicError, requireTopic } from '../../infra/kafka/kafka';
import { loadCliContext, UsageError } from '../context';

export function registerProduceCommand(program: Command): void {
  program
    .command('produce')
    .description('send messages (one JSON object per line on stdin) to the input topic, as an upstream would')
    .option('--topic <name>', 'topic to send to (default: KAFKA_INPUT_TOPIC)')
    .action(async (options: { topic?: string }) => {
      const { config, logger } = loadCliContext('produce');
      const topic = options.topic ?? config.kafka.inputTopic;
      const kafka = createKafka(config.kafka, logger, 'produce');
      await requireTopic(kafka, topic).catch((error: unknown) => {
        throw error instanceof MissingTopicError ? new UsageError(error.message) : error;
      });
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      let sent = 0;
      try {
        let batch: Array<{ value: string }> = [];
        const flush = async () => {
          if (batch.length === 0) return;
          await producer.send({ topic, messages: batch });
          sent += batch.length;
          batch = [];
        };
        // Lines are sent as they are: checking them is the bridge's job (bad ones are dead-lettered).
        for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
          if (line.trim() === '') continue;
          batch.push({ value: line });
          if (batch.length >= 500) await flush();
        }
        await flush();
      } finally {
        await producer.disconnect();
      }
      process.stderr.write(`sent ${sent} message(s) to ${topic}\n`);
    });
}
