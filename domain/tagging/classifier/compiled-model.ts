import type { Tag } from '../api';
import { termWeight, writeFeatureHashes } from './features';
import { sigmoid } from './logistic-regression';
import { linearArrays, LINEAR_FORMAT, type LoadedModel, type LinearModelFile, type NaiveBayesModelFile } from './model-file';
import { presentWords } from './naive-bayes';
import { tokenize } from './tokenize';

/** What every compiled model has, whatever its type. */
interface CompiledCommon {
  version: string;
  name: string;
  tags: string[];
  fields: string[];
  maxChars: number;
  bias: Float64Array;
  /** Features (words, or hashed uni/bigrams) the model knows. */
  vocabularySize: number;
}

/**
 * Naive Bayes ready for the thread pool: the vocabulary as an open-addressing hash table over
 * one UTF-16 buffer, and the weights as a Float32Array — all in SharedArrayBuffers, so every
 * thread reads the one copy instead of building its own Map of words.
 */
export interface CompiledNaiveBayes extends CompiledCommon {
  kind: 'naive-bayes';
  threshold: number;
  /** weights[w * tags.length + t] */
  weights: Float32Array;
  /** Word w is `words[wordStart[w] .. wordStart[w + 1])`. */
  words: Uint16Array;
  wordStart: Int32Array;
  /** Slot → word index + 1 (0: empty). Size is a power of two, at least twice the vocabulary. */
  table: Int32Array;
}

/**
 * The linear model ready for the thread pool: feature hashes in an open-addressing table
 * (`slotKey` the hash, `slotFeature` its index + 1, 0 for an empty slot), idf and weights as
 * Float32Arrays — all shared memory, numbers only.
 */
export interface CompiledLinear extends CompiledCommon {
  kind: 'linear';
  thresholds: Float64Array;
  ngrams: 1 | 2;
  sublinearTf: boolean;
  keepStopWords: boolean;
  /** weights[f * tags.length + t] */
  weights: Float32Array;
  idf: Float32Array;
  slotKey: Uint32Array;
  slotFeature: Int32Array;
}

export type CompiledModel = CompiledNaiveBayes | CompiledLinear;

type Allocate = (bytes: number) => ArrayBufferLike;

export function compileModel(loaded: LoadedModel, options: { shared?: boolean } = {}): CompiledModel {
  const buffer: Allocate = (bytes) => (options.shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  return loaded.model.format === LINEAR_FORMAT ? compileLinear(loaded, loaded.model, buffer) : compileNaiveBayes(loaded, loaded.model, buffer);
}

function tableSize(entries: number): number {
  let size = 2;
  while (size < 2 * entries) size *= 2;
  return size;
}

function compileNaiveBayes(loaded: LoadedModel, model: NaiveBayesModelFile, buffer: Allocate): CompiledNaiveBayes {
  const V = model.vocabulary.length;
  const characters = model.vocabulary.reduce((sum, word) => sum + word.length, 0);
  const words = new Uint16Array(buffer(2 * characters));
  const wordStart = new Int32Array(buffer(4 * (V + 1)));
  const size = tableSize(V);
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
    kind: 'naive-bayes',
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

function compileLinear(loaded: LoadedModel, model: LinearModelFile, buffer: Allocate): CompiledLinear {
  const arrays = linearArrays(model, loaded.file);
  const count = model.features.count;
  const size = tableSize(count);
  const slotKey = new Uint32Array(buffer(4 * size));
  const slotFeature = new Int32Array(buffer(4 * size));
  for (let f = 0; f < count; f++) {
    const key = arrays.ids[f]!;
    let slot = key & (size - 1);
    while (slotFeature[slot] !== 0) slot = (slot + 1) & (size - 1);
    slotKey[slot] = key;
    slotFeature[slot] = f + 1;
  }
  const float64 = (values: ArrayLike<number>) => {
    const array = new Float64Array(buffer(8 * values.length));
    array.set(values);
    return array;
  };
  const float32 = (values: ArrayLike<number>) => {
    const array = new Float32Array(buffer(4 * values.length));
    array.set(values);
    return array;
  };
  return {
    kind: 'linear',
    version: loaded.version,
    name: model.name,
    tags: model.tags,
    fields: model.fields,
    maxChars: model.maxChars,
    thresholds: float64(model.thresholds),
    bias: float64(model.bias),
    ngrams: model.features.ngrams,
    sublinearTf: model.features.sublinearTf,
    keepStopWords: model.features.keepStopWords,
    weights: float32(arrays.weights),
    idf: float32(arrays.idf),
    slotKey,
    slotFeature,
    vocabularySize: count,
  };
}

/** Bytes of the compiled model's arrays. */
export function modelBytes(model: CompiledModel): number {
  const shared = model.bias.byteLength + model.weights.byteLength;
  return model.kind === 'linear'
    ? shared + model.thresholds.byteLength + model.idf.byteLength + model.slotKey.byteLength + model.slotFeature.byteLength
    : shared + model.words.byteLength + model.wordStart.byteLength + model.table.byteLength;
}

/** FNV-1a over UTF-16 code units. */
function hashWord(word: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) hash = Math.imul(hash ^ word.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** Index of `word` in a naive Bayes vocabulary, or -1. */
export function lookupWord(model: CompiledNaiveBayes, word: string): number {
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

/** Index of a feature hash in a linear model, or -1. */
export function lookupFeature(model: CompiledLinear, key: number): number {
  const mask = model.slotKey.length - 1;
  for (let slot = key & mask; ; slot = (slot + 1) & mask) {
    const entry = model.slotFeature[slot]!;
    if (entry === 0) return -1;
    if (model.slotKey[slot] === key) return entry - 1;
  }
}

/** The tokenizer options a model was trained with. */
export function modelTokenizeOptions(model: CompiledModel) {
  return { keepStopWords: model.kind === 'linear' && model.keepStopWords };
}

/** The score (0..1) of every tag for a text's tokens (`tokenize(text, modelTokenizeOptions(model))`). */
export function scoreTokens(model: CompiledModel, tokens: readonly string[]): number[] {
  return model.kind === 'linear' ? scoreLinear(model, tokens) : scoreNaiveBayes(model, tokens);
}

function scoreNaiveBayes(model: CompiledNaiveBayes, tokens: readonly string[]): number[] {
  const T = model.tags.length;
  const logits = Array.from(model.bias);
  for (const token of presentWords(tokens)) {
    const w = lookupWord(model, token);
    if (w < 0) continue;
    for (let t = 0; t < T; t++) logits[t]! += model.weights[w * T + t]!;
  }
  return logits.map(sigmoid);
}

/** Reused by every message a thread scores (one thread, one message at a time). */
let scratch = new Uint32Array(4096);

function scoreLinear(model: CompiledLinear, tokens: readonly string[]): number[] {
  const T = model.tags.length;
  const sums = new Float64Array(T);
  let norm = 0;
  if (scratch.length < 2 * tokens.length) scratch = new Uint32Array(4 * tokens.length);
  const n = writeFeatureHashes(tokens, model.ngrams, scratch);
  const hashes = scratch.subarray(0, n).sort();
  // Features the model never saw are left out of the vector, norm included (as at training).
  for (let i = 0; i < n; ) {
    const key = hashes[i]!;
    let end = i + 1;
    while (end < n && hashes[end] === key) end++;
    const count = end - i;
    i = end;
    const f = lookupFeature(model, key);
    if (f < 0) continue;
    const x = termWeight(count, model.sublinearTf) * model.idf[f]!;
    norm += x * x;
    for (let t = 0; t < T; t++) sums[t]! += x * model.weights[f * T + t]!;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  return Array.from(sums, (sum, t) => sigmoid(model.bias[t]! + sum * scale));
}

/** The threshold at which a model adds tag t. */
export function tagThreshold(model: CompiledModel, t: number): number {
  return model.kind === 'linear' ? model.thresholds[t]! : model.threshold;
}

/** Scores a message's text with the model; tags at or above their threshold, each with its score. */
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
  scoreTokens(model, tokenize(text, modelTokenizeOptions(model))).forEach((score, t) => {
    if (score >= tagThreshold(model, t)) tags.push({ name: model.tags[t]!, score: Math.round(score * 1e4) / 1e4, source: 'model', rule: model.name });
  });
  return tags.sort((a, b) => b.score - a.score);
}
