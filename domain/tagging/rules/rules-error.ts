/** One thing wrong with a rules file. */
export interface RuleProblem {
  /** The rule's name (or `rules[3]` when it has none); absent for file-level problems. */
  rule?: string;
  /** Where in the file, e.g. `rules[3].minHits` or `line 12`. */
  where?: string;
  message: string;
}

/** A rules file that cannot be used; its message names the file, each rule and what is wrong. */
export class RulesFileError extends Error {
  override readonly name = 'RulesFileError';
  constructor(
    readonly file: string,
    readonly problems: readonly RuleProblem[],
  ) {
    super(
      `invalid tagging rules in ${file}:\n${problems
        .map((p) => `  ${p.rule !== undefined ? `rule "${p.rule}"` : 'file'}${p.where ? ` (${p.where})` : ''}: ${p.message}`)
        .join('\n')}`,
    );
  }
}
