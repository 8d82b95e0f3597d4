import type { Tag } from '../api';
import { KeywordHits, scanKeywords } from '../keywords/automaton';
import { wordCharTable } from '../text/folding';
import { compileSafeRegex, countMatches, type SafeRegex } from '../text/safe-regex';
import type { PreparedMessage } from '../text/prepare-message';
import { EntryFlag, type CompiledRules } from './compile-rules';
import { FieldConditionEvaluator } from './field-conditions';
import { RuleKind } from './schema';

/** Keywords reported per tag, so a reader can see why a message was tagged. */
const MATCHED_REPORTED = 5;

/**
 * Applies compiled rules to prepared messages. One evaluator per thread and rules version:
 * it compiles the regular expressions once and reuses its scratch arrays for every message.
 */
export class RuleEvaluator {
  private readonly regexes: Array<SafeRegex | undefined>;
  private readonly conditions = new FieldConditionEvaluator();
  private readonly words = wordCharTable();
  private readonly hits = new KeywordHits();
  private readonly ruleHits: Int32Array;
  private readonly ruleDistinct: Int32Array;
  private readonly applicable: Uint8Array;
  private readonly matched: Uint8Array;
  /** Per entry: the message stamp it was last counted in, for counting distinct keywords. */
  private readonly entrySeen: Int32Array;
  /** rules[i].fieldMask, as a typed array for the per-hit loop. */
  private readonly fieldMasks: Int32Array;
  private stamp = 0;

  constructor(readonly compiled: CompiledRules) {
    const count = compiled.rules.length;
    this.regexes = compiled.rules.map((rule) => (rule.regex ? compileSafeRegex(rule.regex.pattern, rule.regex) : undefined));
    this.ruleHits = new Int32Array(count);
    this.ruleDistinct = new Int32Array(count);
    this.applicable = new Uint8Array(count);
    this.matched = new Uint8Array(count);
    this.entrySeen = new Int32Array(compiled.keywords.entryRule.length);
    this.fieldMasks = Int32Array.from(compiled.rules, (rule) => rule.fieldMask);
  }

  /** Tags for one message, one per tag name (the highest-scoring rule wins); `warnings` gains what went wrong. */
  evaluate(message: PreparedMessage, warnings: string[]): Tag[] {
    const { rules, order, scan } = this.compiled;
    this.ruleHits.fill(0);
    this.ruleDistinct.fill(0);
    this.matched.fill(0);
    if (++this.stamp === 0x7fffffff) {
      this.entrySeen.fill(0);
      this.stamp = 1;
    }
    rules.forEach((rule, i) => (this.applicable[i] = this.conditions.allHold(rule.when, message.values) ? 1 : 0));

    const matchedEntries = new Map<number, number[]>();
    const texts = scan.fields.map((field) => message.texts[field]);
    texts.forEach((text, field) => {
      if (text !== undefined) this.countKeywords(text, field, matchedEntries, warnings);
    });

    for (const i of order) {
      const rule = rules[i]!;
      if (this.applicable[i] === 0) continue;
      let matches = false;
      switch (rule.kind) {
        case RuleKind.Keywords:
          matches = this.ruleHits[i]! >= rule.minHits && this.ruleDistinct[i]! >= rule.minDistinct;
          break;
        case RuleKind.Regex: {
          let count = 0;
          texts.forEach((text, field) => {
            if (text !== undefined && count < rule.minHits && rule.fieldMask & (1 << field)) {
              count += countMatches(this.regexes[i]!, text, rule.minHits - count);
            }
          });
          this.ruleHits[i] = count;
          matches = count >= rule.minHits;
          break;
        }
        case RuleKind.Field:
          matches = this.conditions.allHold(rule.conditions, message.values);
          break;
        case RuleKind.Combination: {
          const any = rule.any.reduce((n, ref) => n + this.matched[ref]!, 0);
          matches =
            rule.all.every((ref) => this.matched[ref] === 1) &&
            any >= rule.atLeast &&
            rule.none.every((ref) => this.matched[ref] === 0);
          break;
        }
      }
      this.matched[i] = matches ? 1 : 0;
    }

    const best = new Map<string, Tag>();
    rules.forEach((rule, i) => {
      if (!rule.emit || this.matched[i] === 0) return;
      const current = best.get(rule.tag);
      if (current && current.score >= rule.score) return;
      const tag: Tag = { name: rule.tag, score: rule.score, source: rule.source, rule: rule.name };
      if (rule.kind === RuleKind.Keywords || rule.kind === RuleKind.Regex) tag.hits = this.ruleHits[i]!;
      const entries = matchedEntries.get(i);
      if (entries) tag.matched = entries.map((entry) => this.entryText(entry));
      best.set(rule.tag, tag);
    });
    return [...best.values()];
  }

  /** One automaton pass over one field; each hit is checked per (rule, keyword) entry. */
  private countKeywords(text: string, field: number, matchedEntries: Map<number, number[]>, warnings: string[]): void {
    const { automaton, entryStart, entryRule, entryFlags, entryTextStart, entryText } = this.compiled.keywords;
    const { scan } = this.compiled;
    const { words, applicable, fieldMasks, ruleHits, ruleDistinct, entrySeen, stamp } = this;
    const patternLength = automaton.patternLength;
    const fieldBit = 1 << field;
    this.hits.reset();
    scanKeywords(automaton, text, this.hits);
    if (this.hits.overflowed) {
      warnings.push(`field "${scan.fields[field]}" has over ${this.hits.limit} keyword matches: the rest were not counted`);
    }
    const data = this.hits.data;
    for (let h = 0; h < this.hits.count; h++) {
      const pattern = data[2 * h]!;
      const end = data[2 * h + 1]!;
      const start = end - patternLength[pattern]!;
      for (let entry = entryStart[pattern]!; entry < entryStart[pattern + 1]!; entry++) {
        const rule = entryRule[entry]!;
        if (applicable[rule] === 0 || (fieldMasks[rule]! & fieldBit) === 0) continue;
        const flags = entryFlags[entry]!;
        if (flags & EntryFlag.WordStart && start > 0 && words[text.charCodeAt(start - 1)] === 1) continue;
        if (flags & EntryFlag.WordEnd && end < text.length && words[text.charCodeAt(end)] === 1) continue;
        if (flags & EntryFlag.CaseSensitive && !sameUnits(text, start, entryText, entryTextStart[entry]!, end - start)) continue;
        ruleHits[rule]!++;
        if (entrySeen[entry] !== stamp) {
          entrySeen[entry] = stamp;
          ruleDistinct[rule]!++;
          let reported = matchedEntries.get(rule);
          if (!reported) matchedEntries.set(rule, (reported = []));
          if (reported.length < MATCHED_REPORTED) reported.push(entry);
        }
      }
    }
  }

  private entryText(entry: number): string {
    const { entryText, entryTextStart } = this.compiled.keywords;
    return String.fromCharCode(...entryText.subarray(entryTextStart[entry]!, entryTextStart[entry + 1]!));
  }
}

function sameUnits(text: string, start: number, units: Uint16Array, offset: number, length: number): boolean {
  for (let k = 0; k < length; k++) if (text.charCodeAt(start + k) !== units[offset + k]) return false;
  return true;
}
