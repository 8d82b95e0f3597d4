/**
 * The error types crawlflow's activities and workflows fail with: the `type` of an
 * `ApplicationFailure`, or the `name` of an error class Temporal converts (it uses the name as
 * the failure's type). Retry policies (`nonRetryableErrorTypes`), failure records and tests
 * match on these strings, so each is spelled here once.
 *
 * Imported by workflows: no Node built-ins here.
 */
export const ErrorType = {
  /** The message cannot be tagged (not a JSON object, or the engine refused it): permanent. */
  UntaggableMessage: 'UntaggableMessage',
  /** The tagger broke its contract (no result for a message): a bug, not retried. */
  TaggerContract: 'TaggerContract',
  /** A message workflow ended because tagging failed for good (recorded and alerted). */
  TagFailed: 'TagFailed',
  /** A message workflow ended because publishing failed for good (recorded and alerted). */
  PublishFailed: 'PublishFailed',
  /** The tagged message does not fit the output topic even without its page content. */
  OutputTooLarge: 'OutputTooLarge',
  /** A claim check points at a payload that is gone (pruned, or never written): permanent. */
  MissingPayload: 'MissingPayloadError',
  /** A generator run failed (recorded in its run log and alerted). */
  GeneratorRunFailed: 'GeneratorRunFailed',
  /** Temporal refused a message's start for good (INVALID_ARGUMENT and the like): dead-lettered. */
  StartRefused: 'StartRefused',
  /** The message's id makes a workflow id longer than Temporal accepts: dead-lettered. */
  WorkflowIdTooLong: 'WorkflowIdTooLong',
} as const;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];
