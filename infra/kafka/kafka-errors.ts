/** kafkajs errors that mean "the broker could not be reached", whatever operation failed. */
const UNREACHABLE_NAMES = new Set(['KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError', 'KafkaJSBrokerNotFound']);
const UNREACHABLE_CODES = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE)\b/;

/**
 * Whether a failed Kafka call failed because Kafka was unreachable (refused, reset, timed out)
 * rather than because of the request: kafkajs wraps the cause (KafkaJSNumberOfRetriesExceeded
 * → KafkaJSConnectionError), so the whole chain is looked at.
 */
export function isKafkaUnreachable(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let current = error; current instanceof Error && !seen.has(current); current = causeOf(current)) {
    seen.add(current);
    if (UNREACHABLE_NAMES.has(current.name) || UNREACHABLE_CODES.test(current.message)) return true;
  }
  return false;
}

function causeOf(error: Error): unknown {
  return (error as { originalError?: unknown }).originalError ?? error.cause;
}
