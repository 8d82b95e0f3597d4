/**
 * Limited-memory BFGS for a smooth convex objective (Nocedal & Wright, algorithm 7.4/7.5),
 * with a backtracking Armijo line search. Written here because the JavaScript packages that
 * fit a logistic regression (ml-logistic-regression and the like) take dense matrices: a
 * text model has hundreds of thousands of features, and its messages a hundred each.
 */

/** Writes the gradient at `x` into `gradient` and returns the objective's value there. */
export type Objective = (x: Float64Array, gradient: Float64Array) => number;

export interface LbfgsOptions {
  /**
   * Stop when no gradient component exceeds this.
   * @default 1e-4
   */
  gradientTolerance?: number;
  /**
   * Stop when an iteration lowers the objective by less than this share of it.
   * @default 1e-9
   */
  relativeTolerance?: number;
  /** @default 200 */
  maxIterations?: number;
  /**
   * Correction pairs kept.
   * @default 10
   */
  memory?: number;
  /** Called after each iteration. */
  onIteration?: (iteration: number, value: number) => void;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  converged: boolean;
}

/** Minimizes `objective` from `start` (which it does not change). */
export function minimizeLbfgs(objective: Objective, start: Float64Array, options: LbfgsOptions = {}): LbfgsResult {
  const n = start.length;
  const gradientTolerance = options.gradientTolerance ?? 1e-4;
  const relativeTolerance = options.relativeTolerance ?? 1e-9;
  const maxIterations = options.maxIterations ?? 200;
  const memory = options.memory ?? 10;

  let x = Float64Array.from(start);
  let gradient = new Float64Array(n);
  let value = objective(x, gradient);
  let nextX = new Float64Array(n);
  let nextGradient = new Float64Array(n);
  const direction = new Float64Array(n);
  const steps: Float64Array[] = [];
  const changes: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(memory);

  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    if (maxAbs(gradient) <= gradientTolerance) return { x, value, iterations: iteration - 1, converged: true };

    // Two-loop recursion: direction = -H·gradient.
    direction.set(gradient);
    for (let k = steps.length - 1; k >= 0; k--) {
      alpha[k] = rho[k]! * dot(steps[k]!, direction);
      axpy(-alpha[k]!, changes[k]!, direction);
    }
    if (steps.length > 0) {
      const last = steps.length - 1;
      scale(direction, dot(steps[last]!, changes[last]!) / dot(changes[last]!, changes[last]!));
    } else {
      scale(direction, 1 / Math.max(1, Math.sqrt(dot(gradient, gradient))));
    }
    for (let k = 0; k < steps.length; k++) {
      const beta = rho[k]! * dot(changes[k]!, direction);
      axpy(alpha[k]! - beta, steps[k]!, direction);
    }
    scale(direction, -1);
    let slope = dot(gradient, direction);
    if (slope >= 0) {
      // Not a descent direction (rounding): restart from steepest descent.
      steps.length = changes.length = rho.length = 0;
      direction.set(gradient);
      scale(direction, -1 / Math.max(1, Math.sqrt(dot(gradient, gradient))));
      slope = dot(gradient, direction);
    }

    let step = 1;
    let nextValue = Number.POSITIVE_INFINITY;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) nextX[i] = x[i]! + step * direction[i]!;
      nextValue = objective(nextX, nextGradient);
      if (nextValue <= value + 1e-4 * step * slope) break;
      step /= 2;
    }
    if (!(nextValue < value)) return { x, value, iterations: iteration, converged: true };

    // The oldest pair's arrays are reused once memory is full: no 2·n allocation per iteration.
    const recycled = steps.length === memory;
    const s = recycled ? steps[0]! : new Float64Array(n);
    const y = recycled ? changes[0]! : new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = nextX[i]! - x[i]!;
      y[i] = nextGradient[i]! - gradient[i]!;
    }
    const sy = dot(s, y);
    if (recycled) {
      // Its arrays now hold the new pair: drop it, whether or not the new pair is kept.
      steps.shift();
      changes.shift();
      rho.shift();
    }
    if (sy > 1e-12) {
      steps.push(s);
      changes.push(y);
      rho.push(1 / sy);
    }
    const decrease = value - nextValue;
    [x, nextX] = [nextX, x];
    [gradient, nextGradient] = [nextGradient, gradient];
    value = nextValue;
    options.onIteration?.(iteration, value);
    if (decrease <= relativeTolerance * Math.max(1, Math.abs(value))) return { x, value, iterations: iteration, converged: true };
  }
  return { x, value, iterations: maxIterations, converged: maxAbs(gradient) <= gradientTolerance };
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

function axpy(factor: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i]! += factor * x[i]!;
}

function scale(x: Float64Array, factor: number): void {
  for (let i = 0; i < x.length; i++) x[i]! *= factor;
}

function maxAbs(x: Float64Array): number {
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]!));
  return max;
}
