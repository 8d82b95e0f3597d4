import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { logLevel } from 'kafkajs';
import { isKafkaUnreachable } from '../../infra/kafka/kafka-errors';
import { kafkaLogLevel } from '../../infra/kafka/kafka';

const entry = (namespace: string, level: logLevel, message: string, extra: Record<string, unknown> = {}) => ({
  namespace,
  level,
  log: { message, timestamp: '', logger: 'kafkajs', ...extra },
});

describe("kafkajs's own log lines", () => {
  it('each attempt of a retried operation is debug; the rest keeps its level', () => {
    assert.equal(kafkaLogLevel(entry('Connection', logLevel.ERROR, 'Connection error: connect ECONNREFUSED 127.0.0.1:9092')), 'debug');
    assert.equal(kafkaLogLevel(entry('BrokerPool', logLevel.ERROR, 'Failed to connect to seed broker, trying another broker from the list')), 'debug');
    assert.equal(kafkaLogLevel(entry('Producer', logLevel.ERROR, 'Failed to send messages: Closed connection', { retryCount: 1, retryTime: 300 })), 'debug');
    assert.equal(kafkaLogLevel(entry('Consumer', logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded: Connection error', { groupId: 'g' })), 'debug');
    assert.equal(kafkaLogLevel(entry('Consumer', logLevel.ERROR, 'Restarting the consumer in 300ms', { groupId: 'g' })), 'debug');
    assert.equal(kafkaLogLevel(entry('Consumer', logLevel.ERROR, 'Offset out of range, resetting to default offset')), 'error');
    assert.equal(kafkaLogLevel(entry('Admin', logLevel.WARN, 'Could not delete topics')), 'warn');
    assert.equal(kafkaLogLevel(entry('Producer', logLevel.INFO, 'producer connected')), 'debug');
  });

  it('an error whose cause is an unreachable broker counts as Kafka unreachable; a refused request does not', () => {
    const cause = Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), { name: 'KafkaJSConnectionError' });
    const exceeded = Object.assign(new Error('Connection error'), { name: 'KafkaJSNumberOfRetriesExceeded', originalError: cause });
    assert.equal(isKafkaUnreachable(exceeded), true);
    assert.equal(isKafkaUnreachable(Object.assign(new Error('This server does not host this topic-partition'), { name: 'KafkaJSProtocolError' })), false);
    assert.equal(isKafkaUnreachable('ECONNREFUSED'), false, 'only errors');
  });
});
