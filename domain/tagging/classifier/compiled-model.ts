import type { Tag } from '../api';
import type { LoadedModel } from './model-file';
import { sigmoid } from './naive-bayes';
import { tokenSet } from './tokenize';

/**
 * A model ready for the thread pool: the vocabulary as an open-addressing hash table over
 * one UTF-16 buffer, and the weights as a Float32Array — all in SharedArrayBuffers, so every
 * thread reads the one copy instead of building its own Map of words.
 */
export interface CompiledModel {
  version: string;
  name: string;
  tags: string[];
  fields: string[];
  maxChars: number;
  threshold: number;
  bias: Float64Array;
  /** weights[w * tags.length + t] */
  weights: Float32Array;
  /** Word w is `words[wordStart[w] .. wordStart[w + 1])`. */
  words: Uint16Array;
  wordStart: Int32Array;
  /** Slot → word index + 1 (0: empty). Size is a power of two, at least twice the vocabulary. */
  table: Int32Array;
  vocabularySize: number;
}

export function compileModel(loaded: LoadedModel, options: { shared?: boolean } = {}): CompiledModel {
  const { model } = loaded;
  const buffer = (bytes: number) => (options.shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const V = model.vocabulary.length;
  const characters = model.vocabulary.reduce((sum, word) => sum + word.length, 0);
  const words = new Uint16Array(buffer(2 * characters));
  const wordStart = new Int32Array(buffer(4 * (V + 1)));
  let size = 2;
  while (size < 2 * V) size *= 2;
  const table = new Int32Array(buffer(4 * size));
  let offset = 0;
  model.vocabulary.forEach((word, w) => {
    wordStart[w] = offset;
    for (let i = 0; i < word.length; i++) words[offset + i] = word.charCodeAt(i);
    offset += word.length;
    let slot = hashWord(word) & (size - 1);
    while (table[slot] !== 0) slot = (slot + 1) & (size - 1);
    table[slot] = w + 1;
  });
  wordStart[V] = offset;
  const weights = new Float32Array(buffer(4 * model.weights.length));
  weights.set(model.weights);
  const bias = new Float64Array(buffer(8 * model.bias.length));
  bias.set(model.bias);
  return {
    version: loaded.version,
    name: model.name,
    tags: model.tags,
    fields: model.fields,
    maxChars: model.maxChars,
    threshold: model.threshold,
    bias,
    weights,
    words,
    wordStart,
    table,
    vocabularySize: V,
  };
}

/** Bytes of the compiled model's arrays. */
export function modelBytes(model: CompiledModel): number {
  return model.bias.byteLength + model.weights.byteLength + model.words.byteLength + model.wordStart.byteLength + model.table.byteLength;
}

/** FNV-1a over UTF-16 code units. */
function hashWord(word: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) hash = Math.imul(hash ^ word.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** Index of `word` in the vocabulary, or -1. */
export function lookupWord(model: CompiledModel, word: string): number {
  const mask = model.table.length - 1;
  for (let slot = hashWord(word) & mask; ; slot = (slot + 1) & mask) {
    const entry = model.table[slot]!;
    if (entry === 0) return -1;
    const w = entry - 1;
    const start = model.wordStart[w]!;
    if (model.wordStart[w + 1]! - start !== word.length) continue;
    let same = true;
    for (let i = 0; i < word.length && same; i++) same = model.words[start + i] === word.charCodeAt(i);
    if (same) return w;
  }
}

/** The score (0..1) of every tag for a text's distinct tokens. */
export function scoreTokens(model: CompiledModel, tokens: Iterable<string>): number[] {
  const T = model.tags.length;
  const logits = Array.from(model.bias);
  for (const token of tokens) {
    const w = lookupWord(model, token);
    if (w < 0) continue;
    for (let t = 0; t < T; t++) logits[t]! += model.weights[w * T + t]!;
  }
  return logits.map(sigmoid);
}

/** Scores a message's text with the model; tags at or above the threshold, each with its score. */
export function classify(model: CompiledModel, texts: Record<string, string>): Tag[] {
  let text = '';
  for (const field of model.fields) {
    const value = texts[field];
    if (value === undefined) continue;
    text += (text ? '\n' : '') + value;
    if (text.length >= model.maxChars) break;
  }
  if (text.length > model.maxChars) text = text.slice(0, model.maxChars);
  if (text.length === 0) return [];
  const tags: Tag[] = [];
  scoreTokens(model, tokenSet(text)).forEach((score, t) => {
    if (score >= model.threshold) tags.push({ name: model.tags[t]!, score: Math.round(score * 1e4) / 1e4, source: 'model', rule: model.name });
  });
  return tags.sort((a, b) => b.score - a.score);
}
