import { inverseDocumentFrequency, termWeight } from './features';

/** Rows of a sparse matrix (CSR): row r's entries are `index/value[start[r] .. start[r + 1])`. */
export interface SparseRows {
  rows: number;
  columns: number;
  start: Int32Array;
  index: Int32Array;
  value: Float32Array;
}

export interface TfidfOptions {
  /** Leave out features seen in fewer documents than this. */
  minDocuments: number;
  /** Weigh a term by 1 + ln(count) rather than its count. */
  sublinear: boolean;
}

export interface TfidfMatrix<K> {
  matrix: SparseRows;
  /** Column → its feature key. */
  keys: K[];
  /** Column → its inverse document frequency. */
  idf: Float64Array;
}

/**
 * TF-IDF rows, each scaled to unit length, as scikit-learn's TfidfVectorizer builds them
 * (smoothed idf, L2 norm): the feature counts of each document go in one at a time and are
 * kept as two flat arrays, never a Map per document, so 30,000 messages stay small.
 */
export function buildTfidf<K>(documents: Iterable<Map<K, number>>, options: TfidfOptions): TfidfMatrix<K> {
  const column = new Map<K, number>();
  const keys: K[] = [];
  let documentsWith: Int32Array = new Int32Array(1024);
  const ids: Int32Array[] = [];
  const counts: Float32Array[] = [];
  for (const features of documents) {
    const rowIds = new Int32Array(features.size);
    const rowCounts = new Float32Array(features.size);
    let k = 0;
    for (const [key, count] of features) {
      let id = column.get(key);
      if (id === undefined) {
        id = keys.length;
        column.set(key, id);
        keys.push(key);
        if (id >= documentsWith.length) {
          const grown = new Int32Array(documentsWith.length * 2);
          grown.set(documentsWith);
          documentsWith = grown;
        }
      }
      documentsWith[id]!++;
      rowIds[k] = id;
      rowCounts[k++] = count;
    }
    ids.push(rowIds);
    counts.push(rowCounts);
  }

  const rows = ids.length;
  // Keep the features seen often enough, renumbered in order of first sight.
  const renumber = new Int32Array(keys.length).fill(-1);
  const keptKeys: K[] = [];
  for (let id = 0; id < keys.length; id++) {
    if (documentsWith[id]! >= options.minDocuments) {
      renumber[id] = keptKeys.length;
      keptKeys.push(keys[id]!);
    }
  }
  const idf = new Float64Array(keptKeys.length);
  for (let id = 0; id < keys.length; id++) {
    if (renumber[id]! >= 0) idf[renumber[id]!] = inverseDocumentFrequency(rows, documentsWith[id]!);
  }

  let entries = 0;
  for (const rowIds of ids) for (const id of rowIds) if (renumber[id]! >= 0) entries++;
  const start = new Int32Array(rows + 1);
  const index = new Int32Array(entries);
  const value = new Float32Array(entries);
  let at = 0;
  for (let r = 0; r < rows; r++) {
    start[r] = at;
    const rowIds = ids[r]!;
    const rowCounts = counts[r]!;
    let norm = 0;
    const first = at;
    for (let k = 0; k < rowIds.length; k++) {
      const c = renumber[rowIds[k]!]!;
      if (c < 0) continue;
      const weight = termWeight(rowCounts[k]!, options.sublinear) * idf[c]!;
      index[at] = c;
      value[at++] = weight;
      norm += weight * weight;
    }
    if (norm > 0) {
      const inverse = 1 / Math.sqrt(norm);
      for (let k = first; k < at; k++) value[k]! *= inverse;
    }
  }
  start[rows] = at;
  return { matrix: { rows, columns: keptKeys.length, start, index, value }, keys: keptKeys, idf };
}

/** The rows whose numbers are listed, in that order (a training or validation part). */
export function selectRows(matrix: SparseRows, rows: readonly number[]): SparseRows {
  let entries = 0;
  for (const r of rows) entries += matrix.start[r + 1]! - matrix.start[r]!;
  const start = new Int32Array(rows.length + 1);
  const index = new Int32Array(entries);
  const value = new Float32Array(entries);
  let at = 0;
  rows.forEach((r, i) => {
    start[i] = at;
    const from = matrix.start[r]!;
    const to = matrix.start[r + 1]!;
    index.set(matrix.index.subarray(from, to), at);
    value.set(matrix.value.subarray(from, to), at);
    at += to - from;
  });
  start[rows.length] = at;
  return { rows: rows.length, columns: matrix.columns, start, index, value };
}
