import type { TagOutcome } from '../api';
import { MessageTagger } from './message-tagger';
import type { TagTask, TagTaskResult } from './snapshot';

/**
 * The piscina worker: tags a chunk of messages. A thread keeps the tagger of the snapshot
 * it saw last (and the one before, while a reload drains), so per-version work — compiling
 * regular expressions, loading the segmenter — happens once per thread and version. A task
 * names its snapshot by key and carries it only when the caller was told it is missing:
 * cloning it costs about 0.1 ms, which a batch of one would pay on every message.
 */
const taggers = new Map<string, MessageTagger>();

export default function tagChunk(task: TagTask): TagTaskResult {
  let tagger = taggers.get(task.key);
  if (!tagger) {
    if (!task.snapshot) return { missingSnapshot: true };
    tagger = new MessageTagger(task.snapshot);
    taggers.set(task.key, tagger);
    while (taggers.size > 2) taggers.delete(taggers.keys().next().value!);
  }
  const outcomes: TagOutcome[] = task.messages.map((message) => tagger.tag(message));
  return { outcomes };
}
