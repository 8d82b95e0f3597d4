import { z } from 'zod';

/**
 * The tagging rules file, format 1 (YAML or JSON; docs/tagging.md is the reference).
 * Objects are strict: a misspelt option is an error, not a silently ignored key.
 */

export const RULES_FORMAT = 1;

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const fieldPath = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .regex(/^[^.\s]+(\.[^.\s]+)*$/, 'must be a field name or a dotted path like "author.id"');

/** A condition on one message field; every operator given must hold. */
export const fieldConditionSchema = z
  .strictObject({
    path: fieldPath,
    equals: scalar.optional(),
    notEquals: scalar.optional(),
    in: z.array(scalar).min(1).optional(),
    notIn: z.array(scalar).min(1).optional(),
    exists: z.boolean().optional(),
    hostIn: z.array(z.string().trim().min(1)).min(1).optional(),
    matches: z.string().min(1).optional(),
    gt: z.number().optional(),
    gte: z.number().optional(),
    lt: z.number().optional(),
    lte: z.number().optional(),
  })
  .refine((condition) => Object.keys(condition).some((key) => key !== 'path'), {
    message: 'needs an operator: equals, notEquals, in, notIn, exists, hostIn, matches, gt, gte, lt or lte',
  });
export type FieldCondition = z.output<typeof fieldConditionSchema>;

const conditions = z.union([fieldConditionSchema, z.array(fieldConditionSchema).min(1)]);
const ruleName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100)
  .regex(/^[\p{L}\p{N}_.:-]+$/u, 'may hold letters, digits and _ . : - only');
const ruleNames = z.array(ruleName).min(1, 'must name at least one rule');
const positiveCount = z.number().int('must be a whole number').min(1, 'must be at least 1');

export const ruleSchema = z.strictObject({
  /** Unique name; combinations refer to it and every tag records it. */
  name: ruleName,
  /** Tag added when the rule matches; defaults to the rule's name. */
  tag: z.string().trim().min(1).max(100).optional(),
  /** Score the tag carries. */
  score: z.number().gt(0, 'must be greater than 0').lte(1, 'must be at most 1').default(1),
  /** false: a helper for combinations that adds no tag itself. */
  emit: z.boolean().default(true),
  description: z.string().optional(),
  /** Field conditions that must all hold before the rule is evaluated at all. */
  when: conditions.optional(),
  /** Scanned fields this rule looks at (keyword and regex rules); default all of scan.fields. */
  fields: z.array(fieldPath).min(1).optional(),

  keywords: z.array(z.string()).optional(),
  /** A text file of keywords, one a line (`#` starts a comment), relative to the rules file. */
  keywordsFile: z.string().trim().min(1).optional(),
  caseSensitive: z.boolean().optional(),
  wholeWord: z.boolean().optional(),
  /** At least this many keyword (or regex) occurrences. */
  minHits: positiveCount.optional(),
  /** At least this many different keywords. */
  minDistinct: positiveCount.optional(),

  /** RE2 syntax: linear-time, no backreferences or lookaround. */
  regex: z.string().min(1, 'must not be empty').optional(),
  ignoreCase: z.boolean().optional(),
  dotAll: z.boolean().optional(),
  multiline: z.boolean().optional(),

  field: conditions.optional(),

  all: ruleNames.optional(),
  any: ruleNames.optional(),
  none: ruleNames.optional(),
  /** How many of `any` must match. */
  atLeast: positiveCount.optional(),
});
export type RuleInput = z.input<typeof ruleSchema>;
export type RuleSpec = z.output<typeof ruleSchema>;

export const rulesFileSchema = z.strictObject({
  format: z.literal(RULES_FORMAT, { error: `must be ${RULES_FORMAT}` }),
  /** When given, must equal the configured SERVICE_TYPE. */
  serviceType: z.string().trim().min(1).optional(),
  description: z.string().optional(),
  scan: z
    .strictObject({
      /** Message fields whose text is scanned (dotted paths). */
      fields: z.array(fieldPath).min(1).default(['text', 'content']),
      /** Characters scanned per message, over all fields; the rest is cut and the cut recorded. */
      maxChars: positiveCount.default(1_000_000),
    })
    .default({ fields: ['text', 'content'], maxChars: 1_000_000 }),
  /** Defaults of keyword rules. */
  keywordDefaults: z
    .strictObject({ caseSensitive: z.boolean().default(false), wholeWord: z.boolean().default(true) })
    .default({ caseSensitive: false, wholeWord: true }),
  rules: z.array(ruleSchema).min(1, 'must hold at least one rule'),
});
export type RulesFile = z.output<typeof rulesFileSchema>;

export const RuleKind = {
  Keywords: 'keywords',
  Regex: 'regex',
  Field: 'field',
  Combination: 'combination',
} as const;
export type RuleKind = (typeof RuleKind)[keyof typeof RuleKind];

/** The option keys each kind of rule accepts beside the common ones. */
export const KIND_OPTIONS: Record<RuleKind, readonly (keyof RuleSpec)[]> = {
  keywords: ['keywords', 'keywordsFile', 'caseSensitive', 'wholeWord', 'minHits', 'minDistinct', 'fields'],
  regex: ['regex', 'ignoreCase', 'dotAll', 'multiline', 'minHits', 'fields'],
  field: ['field'],
  combination: ['all', 'any', 'none', 'atLeast'],
};
