import { foldCase, wordCharTable } from '../text/folding';
import { buildKeywordAutomaton, type KeywordAutomaton } from '../keywords/automaton';
import { RuleKind, type FieldCondition } from './schema';
import type { Rule, RuleSetDefinition } from './load-rules';
import type { TagSource } from '../api';

/** Bits of `KeywordTable.entryFlags`. */
export const EntryFlag = {
  CaseSensitive: 1,
  /** The keyword starts with a word character: the character before must not be one. */
  WordStart: 2,
  /** The keyword ends with a word character: the character after must not be one. */
  WordEnd: 4,
} as const;

/**
 * Every keyword of every rule, in one automaton. A pattern is a distinct folded keyword; an
 * entry is one (rule, keyword) pair, so a keyword listed by two rules is scanned once and
 * counted for both. All arrays are typed arrays (shared when compiled with `shared`).
 */
export interface KeywordTable {
  automaton: KeywordAutomaton;
  /** Entries of pattern p are `entryStart[p] .. entryStart[p + 1] - 1`. */
  entryStart: Int32Array;
  entryRule: Int32Array;
  entryFlags: Uint8Array;
  /** The keyword as written in the rules file, for case-sensitive checks and reports. */
  entryTextStart: Int32Array;
  entryText: Uint16Array;
}

/**
 * A rule as the evaluator needs it: plain data that crosses thread boundaries. Every rule
 * has every field (unused ones empty), so all rules share one object shape and the
 * evaluator's property reads stay monomorphic in V8.
 */
export interface CompiledRule {
  name: string;
  tag: string;
  score: number;
  emit: boolean;
  kind: Rule['kind'];
  source: TagSource;
  when: FieldCondition[];
  /** Bit i set: the rule looks at scan.fields[i]. */
  fieldMask: number;
  minHits: number;
  minDistinct: number;
  regex: { pattern: string; ignoreCase: boolean; dotAll: boolean; multiline: boolean } | null;
  conditions: FieldCondition[];
  /** Combinations, as indexes into `rules`. */
  all: number[];
  any: number[];
  none: number[];
  atLeast: number;
}

/** Compiled rules: built once per rules version, handed to every thread without copying the automaton. */
export interface CompiledRules {
  version: string;
  source: string;
  scan: { fields: string[]; maxChars: number };
  rules: CompiledRule[];
  /** Rule indexes in evaluation order: every combination after the rules it names. */
  order: number[];
  keywords: KeywordTable;
  keywordCount: number;
  /** Top-level message keys that field conditions read (what a thread needs besides the text). */
  conditionKeys: string[];
}

export interface CompileRulesOptions {
  /**
   * Put the keyword table in SharedArrayBuffers (for a thread pool).
   * @default false
   */
  shared?: boolean;
}

const MAX_FIELDS = 31;

export function compileRules(definition: RuleSetDefinition, options: CompileRulesOptions = {}): CompiledRules {
  const fields = definition.scan.fields;
  if (fields.length > MAX_FIELDS) throw new Error(`tagging rules: at most ${MAX_FIELDS} scanned fields`);
  const index = new Map(definition.rules.map((rule, i) => [rule.name, i]));
  const toIndexes = (names: string[]) => names.map((name) => index.get(name)!);
  const mask = (ruleFields: string[]) => ruleFields.reduce((bits, field) => bits | (1 << fields.indexOf(field)), 0);

  const rules = definition.rules.map((rule): CompiledRule => {
    const compiled = (source: TagSource, specific: Partial<CompiledRule>): CompiledRule => ({
      name: rule.name,
      tag: rule.tag,
      score: rule.score,
      emit: rule.emit,
      kind: rule.kind,
      source,
      when: rule.when,
      fieldMask: 0,
      minHits: 1,
      minDistinct: 1,
      regex: null,
      conditions: [],
      all: [],
      any: [],
      none: [],
      atLeast: 0,
      ...specific,
    });
    switch (rule.kind) {
      case RuleKind.Keywords:
        return compiled('keyword', { fieldMask: mask(rule.fields), minHits: rule.minHits, minDistinct: rule.minDistinct });
      case RuleKind.Regex:
        return compiled('regex', {
          fieldMask: mask(rule.fields),
          minHits: rule.minHits,
          regex: { pattern: rule.regex, ignoreCase: rule.ignoreCase, dotAll: rule.dotAll, multiline: rule.multiline },
        });
      case RuleKind.Field:
        return compiled('field', { conditions: rule.conditions });
      case RuleKind.Combination:
        return compiled('combination', { all: toIndexes(rule.all), any: toIndexes(rule.any), none: toIndexes(rule.none), atLeast: rule.atLeast });
    }
  });

  const conditionKeys = new Set<string>();
  for (const rule of definition.rules) {
    for (const condition of [...rule.when, ...(rule.kind === RuleKind.Field ? rule.conditions : [])]) {
      conditionKeys.add(condition.path.split('.')[0]!);
    }
  }

  const keywordRules = definition.rules.flatMap((rule, i) => (rule.kind === RuleKind.Keywords ? [{ rule, i }] : []));
  return {
    version: definition.version,
    source: definition.source,
    scan: { fields: [...fields], maxChars: definition.scan.maxChars },
    rules,
    order: evaluationOrder(rules),
    keywords: buildKeywordTable(keywordRules, options.shared ?? false),
    keywordCount: keywordRules.reduce((sum, { rule }) => sum + rule.keywords.length, 0),
    conditionKeys: [...conditionKeys],
  };
}

function buildKeywordTable(keywordRules: Array<{ rule: Rule & { kind: 'keywords' }; i: number }>, shared: boolean): KeywordTable {
  const words = wordCharTable();
  const patternOf = new Map<string, number>();
  const entriesOf: Array<Array<{ rule: number; flags: number; text: string }>> = [];
  for (const { rule, i } of keywordRules) {
    for (const keyword of rule.keywords) {
      const folded = foldCase(keyword);
      let pattern = patternOf.get(folded);
      if (pattern === undefined) {
        pattern = entriesOf.length;
        patternOf.set(folded, pattern);
        entriesOf.push([]);
      }
      let flags = rule.caseSensitive ? EntryFlag.CaseSensitive : 0;
      if (rule.wholeWord && words[keyword.charCodeAt(0)] === 1) flags |= EntryFlag.WordStart;
      if (rule.wholeWord && words[keyword.charCodeAt(keyword.length - 1)] === 1) flags |= EntryFlag.WordEnd;
      entriesOf[pattern]!.push({ rule: i, flags, text: keyword });
    }
  }
  const entryCount = entriesOf.reduce((sum, entries) => sum + entries.length, 0);
  const textLength = entriesOf.reduce((sum, entries) => sum + entries.reduce((s, e) => s + e.text.length, 0), 0);
  const buffer = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const table: KeywordTable = {
    automaton: buildKeywordAutomaton([...patternOf.keys()], { caseFold: true, shared }),
    entryStart: new Int32Array(buffer(4 * (entriesOf.length + 1))),
    entryRule: new Int32Array(buffer(4 * entryCount)),
    entryFlags: new Uint8Array(buffer(entryCount)),
    entryTextStart: new Int32Array(buffer(4 * (entryCount + 1))),
    entryText: new Uint16Array(buffer(2 * textLength)),
  };
  let entry = 0;
  let offset = 0;
  entriesOf.forEach((entries, pattern) => {
    table.entryStart[pattern] = entry;
    for (const { rule, flags, text } of entries) {
      table.entryRule[entry] = rule;
      table.entryFlags[entry] = flags;
      table.entryTextStart[entry] = offset;
      for (let c = 0; c < text.length; c++) table.entryText[offset + c] = text.charCodeAt(c);
      offset += text.length;
      entry++;
    }
  });
  table.entryStart[entriesOf.length] = entry;
  table.entryTextStart[entry] = offset;
  return table;
}

/** Leaf rules first, then combinations so that each follows every rule it names. */
function evaluationOrder(rules: CompiledRule[]): number[] {
  const order: number[] = [];
  const placed = new Set<number>();
  const place = (i: number) => {
    if (placed.has(i)) return;
    placed.add(i);
    const rule = rules[i]!;
    for (const ref of [...rule.all, ...rule.any, ...rule.none]) place(ref);
    order.push(i);
  };
  rules.forEach((rule, i) => rule.kind !== RuleKind.Combination && place(i));
  rules.forEach((_, i) => place(i));
  return order;
}
