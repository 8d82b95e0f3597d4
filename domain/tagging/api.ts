/**
 * The contract between the pipeline's tag activity and the tagging engine. The pipeline
 * depends on this file only; the engine (rules, keyword automaton, classifier, thread pool)
 * lives beside it in domain/tagging/.
 */

/** Where a tag came from. */
export type TagSource = 'keyword' | 'regex' | 'field' | 'combination' | 'model';

export interface Tag {
  /** The tag's name, e.g. "finance". */
  name: string;
  /** 0..1 for model tags; rule tags carry the rule's score. */
  score: number;
  source: TagSource;
  /** The rule (or model) that produced the tag. */
  rule: string;
  /** Keyword or regular-expression occurrences counted (keyword and regex rules). */
  hits?: number;
  /** Up to five different keywords that matched, as written in the rules (keyword rules). */
  matched?: string[];
}

/** A message as it reaches tagging: the Kafka JSON object, plus `content` once fetched. */
export type TaggableMessage = Record<string, unknown>;

export interface TagOutcome {
  tags: Tag[];
  /** Content hash of the rules in force, recorded on every tagged message. */
  rulesVersion: string;
  /** Version of the classifier model, when one is loaded. */
  modelVersion?: string;
  /** Characters of text scanned; texts over the cap are cut and `truncated` says so. */
  scannedChars: number;
  truncated: boolean;
  /** Wall time spent tagging this message, in milliseconds. */
  elapsedMs: number;
  /** Input problems worked around (a field of the wrong type, invalid text, no text at all). */
  warnings?: string[];
}

/** Input the engine cannot tag at all (e.g. not an object); never retried. */
export class UntaggableMessageError extends Error {
  override readonly name = 'UntaggableMessageError';
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(message);
  }
}

export interface TaggingEngine {
  /** Tags a batch; results are in input order. Runs off the caller's event loop. */
  tagBatch(messages: TaggableMessage[]): Promise<TagOutcome[]>;
  /** Version string of the engine build, e.g. "crawlflow-tagger/1". */
  readonly engineVersion: string;
  /** Stops threads and file watchers; safe to call twice. */
  close(): Promise<void>;
}
