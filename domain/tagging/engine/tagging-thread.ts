import type { TagOutcome } from '../api';
import { MessageTagger } from './message-tagger';
import type { TagTask } from './snapshot';

/**
 * The piscina worker: tags a chunk of messages. A thread keeps the tagger of the snapshot
 * it saw last (and the one before, while a reload drains), so per-version work — compiling
 * regular expressions, loading the segmenter — happens once per thread and version.
 */
const taggers = new Map<string, MessageTagger>();

function taggerFor(task: TagTask): MessageTagger {
  let tagger = taggers.get(task.snapshot.key);
  if (!tagger) {
    tagger = new MessageTagger(task.snapshot);
    taggers.set(task.snapshot.key, tagger);
    while (taggers.size > 2) taggers.delete(taggers.keys().next().value!);
  }
  return tagger;
}

export default function tagChunk(task: TagTask): TagOutcome[] {
  const tagger = taggerFor(task);
  return task.messages.map((message) => tagger.tag(message));
}
