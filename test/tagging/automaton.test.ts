import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { automatonBytes, buildKeywordAutomaton, KeywordHits, scanKeywords } from '../../domain/tagging/keywords/automaton';
import { seededRandom } from '../../domain/tagging/text/seeded-random';

/** Every (pattern, end) occurrence, found the slow obvious way. */
function naiveOccurrences(patterns: string[], text: string): string[] {
  const found: string[] = [];
  patterns.forEach((pattern, id) => {
    for (let at = text.indexOf(pattern); at >= 0; at = text.indexOf(pattern, at + 1)) found.push(`${id}@${at + pattern.length}`);
  });
  return found.sort();
}

function automatonOccurrences(patterns: string[], text: string, options = {}): string[] {
  const hits = new KeywordHits();
  scanKeywords(buildKeywordAutomaton(patterns, { caseFold: false, ...options }), text, hits);
  const found: string[] = [];
  for (let i = 0; i < hits.count; i++) found.push(`${hits.data[2 * i]}@${hits.data[2 * i + 1]}`);
  return found.sort();
}

describe('the keyword automaton', () => {
  it('finds exactly the occurrences a naive search finds, overlapping and nested ones included', () => {
    const random = seededRandom(7);
    // A tiny alphabet makes overlaps, shared prefixes and suffix chains the common case.
    const alphabet = 'abc股票基金😀';
    for (let trial = 0; trial < 300; trial++) {
      const patterns = new Set<string>();
      const wanted = 1 + Math.floor(random() * 40);
      while (patterns.size < wanted) {
        let pattern = '';
        for (let n = 1 + Math.floor(random() * 5); n > 0; n--) pattern += alphabet[Math.floor(random() * alphabet.length)];
        patterns.add(pattern);
      }
      let text = '';
      for (let n = 0; n < 300; n++) text += random() < 0.1 ? 'X' : alphabet[Math.floor(random() * alphabet.length)];
      assert.deepEqual(automatonOccurrences([...patterns], text), naiveOccurrences([...patterns], text), `trial ${trial}`);
    }
  });

  it('folds case and full-width ASCII in one table lookup per character', () => {
    assert.deepEqual(automatonOccurrences(['stock market', 'ipo'], 'STOCK Market ＩＰＯ', { caseFold: true }), ['0@12', '1@16']);
  });

  it('bounds its hit buffer and says when it overflowed', () => {
    const hits = new KeywordHits(100);
    scanKeywords(buildKeywordAutomaton(['a', 'aa']), 'a'.repeat(1000), hits);
    assert.equal(hits.count, 100);
    assert.equal(hits.overflowed, true);
  });

  it('packs 10,000 mixed keywords into shared memory in about one slot per state', () => {
    const random = seededRandom(11);
    const keywords = new Set<string>();
    while (keywords.size < 10_000) {
      let keyword = '';
      for (let n = 2 + Math.floor(random() * 3); n > 0; n--) keyword += String.fromCharCode(0x4e00 + Math.floor(random() ** 2 * 3000));
      keywords.add(random() < 0.3 ? `word${keywords.size}` : keyword);
    }
    const automaton = buildKeywordAutomaton([...keywords], { shared: true });
    assert.ok(automaton.base.buffer instanceof SharedArrayBuffer);
    assert.ok(automaton.base.length < 1.5 * automaton.stateCount + 0x10000, `${automaton.base.length} slots for ${automaton.stateCount} states`);
    assert.ok(automatonBytes(automaton) < 4 * 1024 * 1024);
    const hits = new KeywordHits();
    const sample = [...keywords].slice(0, 50);
    scanKeywords(automaton, sample.join('|'), hits);
    assert.ok(hits.count >= sample.length);
  });
});
