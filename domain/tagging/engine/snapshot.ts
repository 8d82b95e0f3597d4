import type { TagOutcome } from '../api';
import type { CompiledModel } from '../classifier/compiled-model';
import type { CompiledRules } from '../rules/compile-rules';
import type { PreparedMessage, PreparePlan } from '../text/prepare-message';

/** Version of the engine code, recorded beside the rules and model versions. */
export const ENGINE_VERSION = 'crawlflow-tagger/1';

/**
 * Everything a thread needs to tag, for one rules (and model) version. Built once on the
 * caller's side; its big arrays live in SharedArrayBuffers, so sending it to a thread with
 * each task shares them rather than copying, and a thread rebuilds its small per-version
 * state (compiled regular expressions) only when `key` changes.
 */
export interface EngineSnapshot {
  /** Changes whenever the rules or the model change. */
  key: string;
  rules: CompiledRules;
  /** The classifier, when a model file is configured. */
  model?: CompiledModel;
}

/** One task for a tagging thread. */
export interface TagTask {
  /** The snapshot to tag with (its `key`). */
  key: string;
  /** The snapshot itself, sent only after a thread answered `missingSnapshot`. */
  snapshot?: EngineSnapshot;
  messages: PreparedMessage[];
}

/** A thread's answer: the outcomes in input order, or a request for the snapshot. */
export type TagTaskResult = { outcomes: TagOutcome[] } | { missingSnapshot: true };

export function snapshotKey(rulesVersion: string, modelVersion: string | undefined): string {
  return `${rulesVersion}/${modelVersion ?? '-'}`;
}

/** How the caller trims messages for this snapshot before they cross to a thread. */
export function preparePlan(snapshot: EngineSnapshot): PreparePlan {
  return {
    textFields: [...new Set([...snapshot.rules.scan.fields, ...(snapshot.model?.fields ?? [])])],
    maxChars: snapshot.rules.scan.maxChars,
    valueKeys: snapshot.rules.conditionKeys,
  };
}
