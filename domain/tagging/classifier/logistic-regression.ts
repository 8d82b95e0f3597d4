import { minimizeLbfgs, type LbfgsOptions } from './lbfgs';
import type { SparseRows } from './tfidf';

export interface LogisticOptions {
  /**
   * Inverse regularization strength, as scikit-learn's `C`: the objective is the mean log
   * loss plus ‖w‖² / (2·C·n); larger fits the training data more closely.
   * @default 1
   */
  c?: number;
  /** Weights to start from (a warm start); the last entry is the bias. */
  start?: Float64Array;
  lbfgs?: LbfgsOptions;
}

export interface LogisticModel {
  weights: Float64Array;
  bias: number;
  iterations: number;
  converged: boolean;
}

/**
 * Binary logistic regression with an L2 penalty (the bias is not penalized), fit by L-BFGS
 * over sparse rows: each objective evaluation is two passes over the matrix's entries.
 */
export function trainLogistic(matrix: SparseRows, targets: Uint8Array, options: LogisticOptions = {}): LogisticModel {
  const { rows, columns, start, index, value } = matrix;
  const c = options.c ?? 1;
  const penalty = 1 / (c * rows);
  const margins = new Float64Array(rows);
  const objective = (x: Float64Array, gradient: Float64Array): number => {
    const bias = x[columns]!;
    let loss = 0;
    for (let r = 0; r < rows; r++) {
      let z = bias;
      for (let k = start[r]!; k < start[r + 1]!; k++) z += x[index[k]!]! * value[k]!;
      const softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
      loss += softplus - (targets[r] ? z : 0);
      margins[r] = (sigmoid(z) - targets[r]!) / rows;
    }
    loss /= rows;
    let squares = 0;
    for (let j = 0; j < columns; j++) {
      gradient[j] = penalty * x[j]!;
      squares += x[j]! * x[j]!;
    }
    let biasGradient = 0;
    for (let r = 0; r < rows; r++) {
      const coefficient = margins[r]!;
      biasGradient += coefficient;
      for (let k = start[r]!; k < start[r + 1]!; k++) gradient[index[k]!]! += coefficient * value[k]!;
    }
    gradient[columns] = biasGradient;
    return loss + 0.5 * penalty * squares;
  };
  const result = minimizeLbfgs(objective, options.start ?? new Float64Array(columns + 1), options.lbfgs);
  return { weights: result.x.subarray(0, columns), bias: result.x[columns]!, iterations: result.iterations, converged: result.converged };
}

/** The probability of the positive class for every row. */
export function logisticScores(matrix: SparseRows, weights: ArrayLike<number>, bias: number): Float64Array {
  const scores = new Float64Array(matrix.rows);
  for (let r = 0; r < matrix.rows; r++) {
    let z = bias;
    for (let k = matrix.start[r]!; k < matrix.start[r + 1]!; k++) z += weights[matrix.index[k]!]! * matrix.value[k]!;
    scores[r] = sigmoid(z);
  }
  return scores;
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}
