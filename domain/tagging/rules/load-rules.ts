import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { domainToASCII } from 'node:url';
import YAML from 'yaml';
import { compileSafeRegex } from '../text/safe-regex';
import { RulesFileError, type RuleProblem } from './rules-error';
import { KIND_OPTIONS, RuleKind, rulesFileSchema, type FieldCondition, type RuleSpec, type RulesFile } from './schema';

interface RuleBase {
  name: string;
  tag: string;
  score: number;
  emit: boolean;
  /** Conditions that must hold before the rule is evaluated. */
  when: FieldCondition[];
}
export interface KeywordRule extends RuleBase {
  kind: typeof RuleKind.Keywords;
  keywords: string[];
  caseSensitive: boolean;
  wholeWord: boolean;
  minHits: number;
  minDistinct: number;
  fields: string[];
}
export interface RegexRule extends RuleBase {
  kind: typeof RuleKind.Regex;
  regex: string;
  ignoreCase: boolean;
  dotAll: boolean;
  multiline: boolean;
  minHits: number;
  fields: string[];
}
export interface FieldRule extends RuleBase {
  kind: typeof RuleKind.Field;
  conditions: FieldCondition[];
}
export interface CombinationRule extends RuleBase {
  kind: typeof RuleKind.Combination;
  all: string[];
  any: string[];
  none: string[];
  /** How many of `any` must match (1 when `any` is given, 0 when it is empty). */
  atLeast: number;
}
export type Rule = KeywordRule | RegexRule | FieldRule | CombinationRule;

/** A validated rules file, ready to compile. */
export interface RuleSetDefinition {
  /** The file it came from (or `built-in:<service type>`). */
  source: string;
  /** Content hash of the rules file and every keyword file it names (16 hex digits of SHA-256). */
  version: string;
  serviceType: string | undefined;
  scan: RulesFile['scan'];
  rules: Rule[];
  /** Every file read, the rules file first: what a watcher watches. */
  files: string[];
}

export interface ParseRulesOptions {
  /** Name used in error messages, and the base of relative keyword file paths. */
  file: string;
  /** The configured SERVICE_TYPE; a file that declares another one is refused. */
  serviceType: string;
  /** Shown instead of `file` in `source` (built-in rules). */
  sourceName?: string;
}

/** Reads and validates a rules file (YAML, or JSON by its `.json` extension). */
export function loadRulesFile(file: string, options: Omit<ParseRulesOptions, 'file'>): RuleSetDefinition {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new RulesFileError(file, [{ message: `cannot read the file: ${(error as Error).message}` }]);
  }
  return parseRules(text, { ...options, file });
}

/**
 * Validates rules text. Every problem is collected and reported at once, each naming its
 * rule and what is wrong.
 * @throws {RulesFileError}
 */
export function parseRules(text: string, options: ParseRulesOptions): RuleSetDefinition {
  const { file } = options;
  const raw = parseDocument(text, file);
  const parsed = rulesFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new RulesFileError(
      file,
      parsed.error.issues.map((issue) => ({ ...locate(raw, issue.path), message: describeIssue(issue) })),
    );
  }
  const document = parsed.data;
  const problems: RuleProblem[] = [];
  if (document.serviceType !== undefined && document.serviceType !== options.serviceType) {
    problems.push({
      where: 'serviceType',
      message: `the file is for service type "${document.serviceType}" but SERVICE_TYPE is "${options.serviceType}"`,
    });
  }
  const hash = createHash('sha256').update(text);
  const files = [file];
  const readKeywordFile = (path: string): string => {
    const full = resolve(dirname(file), path);
    const content = readFileSync(full, 'utf8');
    files.push(full);
    hash.update('\0').update(path).update('\0').update(content);
    return content;
  };

  const names = new Map<string, number>();
  document.rules.forEach((spec, index) => {
    if (names.has(spec.name)) {
      problems.push({ rule: spec.name, where: `rules[${index}]`, message: `duplicate name (first used by rules[${names.get(spec.name)}])` });
    } else {
      names.set(spec.name, index);
    }
  });

  const rules: Rule[] = [];
  document.rules.forEach((spec, index) => {
    // `within` is the place inside the rule (`minHits`, `keywords[2]`), reported as `rules[i].minHits`.
    const report = (message: string, within?: string) =>
      problems.push({ rule: spec.name, where: within === undefined ? `rules[${index}]` : `rules[${index}].${within}`, message });
    const rule = normalizeRule(spec, document, report, readKeywordFile);
    if (rule) rules.push(rule);
  });
  checkCombinations(rules, names, (rule, message) => problems.push({ rule: rule.name, where: `rules[${names.get(rule.name)}]`, message }));

  if (problems.length > 0) throw new RulesFileError(file, problems);
  return {
    source: options.sourceName ?? file,
    version: hash.digest('hex').slice(0, 16),
    serviceType: document.serviceType,
    scan: document.scan,
    rules,
    files,
  };
}

function parseDocument(text: string, file: string): unknown {
  try {
    if (extname(file).toLowerCase() === '.json') return JSON.parse(text) as unknown;
    return YAML.parse(text, { prettyErrors: true, uniqueKeys: true });
  } catch (error) {
    const where = error instanceof YAML.YAMLError && error.linePos ? `line ${error.linePos[0].line}` : undefined;
    throw new RulesFileError(file, [{ where, message: `not valid ${extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}` }]);
  }
}

function kindsOf(spec: RuleSpec): RuleKind[] {
  const kinds: RuleKind[] = [];
  if (spec.keywords !== undefined || spec.keywordsFile !== undefined) kinds.push(RuleKind.Keywords);
  if (spec.regex !== undefined) kinds.push(RuleKind.Regex);
  if (spec.field !== undefined) kinds.push(RuleKind.Field);
  if (spec.all !== undefined || spec.any !== undefined || spec.none !== undefined) kinds.push(RuleKind.Combination);
  return kinds;
}

function normalizeRule(
  spec: RuleSpec,
  document: RulesFile,
  report: (message: string, within?: string) => void,
  readKeywordFile: (path: string) => string,
): Rule | undefined {
  const kinds = kindsOf(spec);
  if (kinds.length !== 1) {
    report(
      kinds.length === 0
        ? 'says nothing to match: give keywords (or keywordsFile), regex, field, or all/any/none'
        : `mixes ${kinds.join(' and ')}: one rule matches one way (combine rules with all/any/none)`,
    );
    return undefined;
  }
  const kind = kinds[0]!;
  const allowed = new Set<string>(KIND_OPTIONS[kind]);
  const kindsAccepting = new Map<keyof RuleSpec, string[]>();
  for (const [otherKind, options] of Object.entries(KIND_OPTIONS)) {
    for (const option of options) kindsAccepting.set(option, [...(kindsAccepting.get(option) ?? []), otherKind]);
  }
  for (const [option, accepting] of kindsAccepting) {
    if (!allowed.has(option) && spec[option] !== undefined) report(`option "${option}" applies to ${accepting.join(' and ')} rules only`, option);
  }
  const when = checkConditions(toList(spec.when), 'when', report);
  const base = { name: spec.name, tag: spec.tag ?? spec.name, score: spec.score, emit: spec.emit, when };
  const fields = spec.fields ?? document.scan.fields;
  for (const field of fields) {
    if (!document.scan.fields.includes(field)) report(`field "${field}" is not one of scan.fields (${document.scan.fields.join(', ')})`, 'fields');
  }

  switch (kind) {
    case RuleKind.Keywords: {
      const keywords = collectKeywords(spec, report, readKeywordFile);
      if (keywords.length === 0) report('has no keywords');
      if (spec.minDistinct !== undefined && spec.minDistinct > keywords.length) {
        report(`minDistinct is ${spec.minDistinct} but the rule has only ${keywords.length} keywords`, 'minDistinct');
      }
      return {
        ...base,
        kind,
        keywords,
        caseSensitive: spec.caseSensitive ?? document.keywordDefaults.caseSensitive,
        wholeWord: spec.wholeWord ?? document.keywordDefaults.wholeWord,
        minHits: spec.minHits ?? 1,
        minDistinct: spec.minDistinct ?? 1,
        fields,
      };
    }
    case RuleKind.Regex: {
      const options = { ignoreCase: spec.ignoreCase ?? false, dotAll: spec.dotAll ?? false, multiline: spec.multiline ?? false };
      try {
        compileSafeRegex(spec.regex!, options);
      } catch (error) {
        report((error as Error).message, 'regex');
      }
      return { ...base, kind, regex: spec.regex!, ...options, minHits: spec.minHits ?? 1, fields };
    }
    case RuleKind.Field:
      return { ...base, kind, conditions: checkConditions(toList(spec.field), 'field', report) };
    case RuleKind.Combination: {
      const any = spec.any ?? [];
      if (spec.atLeast !== undefined && spec.atLeast > any.length) {
        report(`atLeast is ${spec.atLeast} but "any" lists ${any.length} rules`, 'atLeast');
      }
      return { ...base, kind, all: spec.all ?? [], any, none: spec.none ?? [], atLeast: any.length === 0 ? 0 : (spec.atLeast ?? 1) };
    }
  }
}

function collectKeywords(spec: RuleSpec, report: (message: string, within?: string) => void, readKeywordFile: (path: string) => string): string[] {
  const keywords = new Set<string>();
  (spec.keywords ?? []).forEach((keyword, i) => {
    const trimmed = keyword.trim();
    if (trimmed === '') report(`keyword ${i + 1} is empty`, `keywords[${i}]`);
    else keywords.add(trimmed);
  });
  if (spec.keywordsFile !== undefined) {
    try {
      for (const line of readKeywordFile(spec.keywordsFile).split(/\r?\n/)) {
        const keyword = line.replace(/(^|\s)#.*$/, '').trim();
        if (keyword !== '') keywords.add(keyword);
      }
    } catch (error) {
      report(`cannot read keywordsFile: ${(error as Error).message}`, 'keywordsFile');
    }
  }
  return [...keywords];
}

function checkConditions(conditions: FieldCondition[], where: string, report: (message: string, within?: string) => void): FieldCondition[] {
  return conditions.map((condition, i) => {
    if (condition.matches !== undefined) {
      try {
        compileSafeRegex(condition.matches);
      } catch (error) {
        report((error as Error).message, `${where}[${i}].matches`);
      }
    }
    if (condition.hostIn === undefined) return condition;
    // As URL.hostname gives it: lower case, internationalized names in punycode.
    const normalize = (host: string) => {
      const bare = host.toLowerCase().replace(/^\*?\./, '').replace(/\.$/, '');
      return domainToASCII(bare) || bare;
    };
    return { ...condition, hostIn: condition.hostIn.map(normalize) };
  });
}

/** Unknown or self references, and cycles, among combination rules. */
function checkCombinations(rules: Rule[], names: Map<string, number>, report: (rule: Rule, message: string) => void): void {
  const byName = new Map(rules.map((rule) => [rule.name, rule]));
  for (const rule of rules) {
    if (rule.kind !== RuleKind.Combination) continue;
    for (const ref of [...rule.all, ...rule.any, ...rule.none]) {
      if (ref === rule.name) report(rule, 'refers to itself');
      else if (!names.has(ref)) report(rule, `refers to unknown rule "${ref}"`);
    }
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (rule: Rule, path: string[]): void => {
    if (rule.kind !== RuleKind.Combination || state.get(rule.name) === 'done') return;
    if (state.get(rule.name) === 'visiting') {
      report(rule, `is part of a cycle: ${[...path.slice(path.indexOf(rule.name)), rule.name].join(' → ')}`);
      return;
    }
    state.set(rule.name, 'visiting');
    for (const ref of [...rule.all, ...rule.any, ...rule.none]) {
      const target = byName.get(ref);
      if (target && target !== rule) visit(target, [...path, rule.name]);
    }
    state.set(rule.name, 'done');
  };
  for (const rule of rules) visit(rule, []);
}

function toList(conditions: FieldCondition | FieldCondition[] | undefined): FieldCondition[] {
  if (conditions === undefined) return [];
  return Array.isArray(conditions) ? conditions : [conditions];
}

function locate(raw: unknown, path: PropertyKey[]): Pick<RuleProblem, 'rule' | 'where'> {
  const where = path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text === '' ? String(key) : `${text}.${String(key)}`),
    '',
  );
  if (path[0] === 'rules' && typeof path[1] === 'number') {
    const rules = (raw as { rules?: unknown[] } | null)?.rules;
    const name = Array.isArray(rules) ? (rules[path[1]] as { name?: unknown } | undefined)?.name : undefined;
    return { rule: typeof name === 'string' && name.trim() !== '' ? name : `rules[${path[1]}]`, where: where || undefined };
  }
  return { where: where || undefined };
}

function describeIssue(issue: { code: string; message: string; path: PropertyKey[] }): string {
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return 'is required';
  return issue.message;
}
