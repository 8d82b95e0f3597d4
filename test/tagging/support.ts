import { InProcessTagger } from '../../domain/tagging/engine/in-process';
import { parseRules } from '../../domain/tagging/rules/load-rules';
import type { TagOutcome, TaggableMessage } from '../../domain/tagging/api';

/** Rules text → a tagger on this thread, for rule semantics tests. */
export function taggerFor(yaml: string, serviceType = 'wx'): (message: TaggableMessage) => TagOutcome {
  const tagger = InProcessTagger.fromDefinition(parseRules(yaml, { file: 'test-rules.yaml', serviceType }));
  return (message) => tagger.tag(message);
}

/** Tag names of an outcome, sorted. */
export function tagNames(outcome: TagOutcome): string[] {
  return outcome.tags.map((tag) => tag.name).sort();
}

/** A rules file of the given rules (YAML flow style keeps the tests short). */
export function rulesYaml(rules: string, header = ''): string {
  return `format: 1\n${header}rules:\n${rules}`;
}
