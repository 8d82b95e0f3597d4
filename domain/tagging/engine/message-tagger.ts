import { performance } from 'node:perf_hooks';
import type { TagOutcome } from '../api';
import { classify } from '../classifier/compiled-model';
import { segmenter } from '../classifier/tokenize';
import { RuleEvaluator } from '../rules/evaluate-rules';
import type { PreparedMessage } from '../text/prepare-message';
import type { EngineSnapshot } from './snapshot';

interface WellFormedString {
  isWellFormed(this: string): boolean;
  toWellFormed(this: string): string;
}
const wellFormed = String.prototype as unknown as WellFormedString;

/** Tags prepared messages with one snapshot; what a thread runs (and the CLI and bench, in-process). */
export class MessageTagger {
  private readonly rules: RuleEvaluator;

  constructor(readonly snapshot: EngineSnapshot) {
    this.rules = new RuleEvaluator(snapshot.rules);
    // Load the segmenter now, not inside the first message's timing.
    if (snapshot.model) segmenter();
  }

  tag(message: PreparedMessage): TagOutcome {
    const started = performance.now();
    const warnings = [...message.warnings];
    for (const [field, text] of Object.entries(message.texts)) {
      // Lone surrogates (e.g. a JSON "\ud800" escape) are invalid text: scan the repaired string.
      if (!wellFormed.isWellFormed.call(text)) {
        message.texts[field] = wellFormed.toWellFormed.call(text);
        warnings.push(`field "${field}" held invalid UTF-16 (lone surrogates): replaced by U+FFFD`);
      }
    }
    const tags = this.rules.evaluate(message, warnings);
    const { model } = this.snapshot;
    if (model) tags.push(...classify(model, message.texts));
    return {
      tags,
      rulesVersion: this.snapshot.rules.version,
      modelVersion: model?.version,
      scannedChars: message.scannedChars,
      truncated: message.truncated,
      elapsedMs: Math.round((performance.now() - started) * 1000) / 1000,
      warnings,
    };
  }
}
