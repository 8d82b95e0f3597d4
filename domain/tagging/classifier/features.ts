/**
 * Hashed word uni- and bigram features, as the linear model reads them. A feature is a
 * 32-bit hash, not a string: the model file and the shared tables in the engine hold
 * numbers only, and a bigram never builds its string. With 32 bits, even a million features
 * collide in only about a hundred pairs — noise beside what the model learns (measured in
 * docs/tagging.md: the hashed model and the exact-vocabulary baseline agree).
 */

/** FNV-1a over UTF-16 code units, finished with murmur3's mixer so that bigram hashes spread. */
export function hashToken(token: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < token.length; i++) hash = Math.imul(hash ^ token.charCodeAt(i), 0x01000193);
  return mix(hash);
}

/** The feature of two adjacent tokens (order matters: 不 好 ≠ 好 不). */
export function hashBigram(first: number, second: number): number {
  return mix(Math.imul(first, 0x9e3779b1) ^ (second + 0x7f4a7c15));
}

function mix(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** How many times each feature occurs in a token sequence: its unigrams and, with `ngrams` 2, its bigrams. */
export function featureCounts(tokens: readonly string[], ngrams: 1 | 2): Map<number, number> {
  const counts = new Map<number, number>();
  let previous = 0;
  for (let i = 0; i < tokens.length; i++) {
    const hash = hashToken(tokens[i]!);
    counts.set(hash, (counts.get(hash) ?? 0) + 1);
    if (ngrams === 2 && i > 0) {
      const bigram = hashBigram(previous, hash);
      counts.set(bigram, (counts.get(bigram) ?? 0) + 1);
    }
    previous = hash;
  }
  return counts;
}

/**
 * The features of a token sequence written into `out` (which must hold 2 × tokens), one
 * entry per occurrence; returns how many. Scoring sorts them and counts runs: no Map per
 * message on the tagging path.
 */
export function writeFeatureHashes(tokens: readonly string[], ngrams: 1 | 2, out: Uint32Array): number {
  let n = 0;
  let previous = 0;
  for (let i = 0; i < tokens.length; i++) {
    const hash = hashToken(tokens[i]!);
    out[n++] = hash;
    if (ngrams === 2 && i > 0) out[n++] = hashBigram(previous, hash);
    previous = hash;
  }
  return n;
}

/** Term-frequency weighting: raw counts, or 1 + ln(count) ("sublinear"), which keeps a repeated word from dominating. */
export function termWeight(count: number, sublinear: boolean): number {
  return sublinear ? 1 + Math.log(count) : count;
}

/** Smoothed inverse document frequency, as scikit-learn's TfidfTransformer computes it. */
export function inverseDocumentFrequency(documents: number, documentsWith: number): number {
  return Math.log((1 + documents) / (1 + documentsWith)) + 1;
}
