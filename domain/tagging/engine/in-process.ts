import type { TagOutcome, TaggableMessage } from '../api';
import { compileRules } from '../rules/compile-rules';
import type { RuleSetDefinition } from '../rules/load-rules';
import { prepareMessage } from '../text/prepare-message';
import { MessageTagger } from './message-tagger';
import { preparePlan, snapshotKey, type EngineSnapshot } from './snapshot';

/**
 * The engine without threads: same preparation and tagging as the pool, on the caller's
 * thread. For tests, the benchmark's single-core figures, and tools that tag a few messages.
 */
export class InProcessTagger {
  private readonly tagger: MessageTagger;

  constructor(readonly snapshot: EngineSnapshot) {
    this.tagger = new MessageTagger(snapshot);
  }

  static fromDefinition(definition: RuleSetDefinition): InProcessTagger {
    const rules = compileRules(definition);
    return new InProcessTagger({ key: snapshotKey(rules.version, undefined), rules });
  }

  /** @throws {UntaggableMessageError} for a message that is not a JSON object. */
  tag(message: TaggableMessage, index = 0): TagOutcome {
    return this.tagger.tag(prepareMessage(message, index, preparePlan(this.snapshot)));
  }
}
