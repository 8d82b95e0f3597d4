/** One sample of a Prometheus text exposition: `name{label="value",…} 12.5`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the text format Prometheus scrapes (comments and blank lines skipped). */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line.trim());
    if (!match) continue;
    const [, name = '', labelText = '', value = ''] = match;
    const labels: Record<string, string> = {};
    for (const [, key = '', raw = ''] of labelText.matchAll(LABEL)) {
      labels[key] = raw.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    }
    samples.push({ name, labels, value: value === '+Inf' ? Infinity : value === '-Inf' ? -Infinity : Number(value) });
  }
  return samples;
}

/** Samples named `name` whose labels include `match`. */
export function select(samples: readonly Sample[], name: string, match: Record<string, string> = {}): Sample[] {
  return samples.filter((sample) => sample.name === name && Object.entries(match).every(([key, value]) => sample.labels[key] === value));
}

/** The sum of the samples named `name` whose labels include `match` (0 when there are none). */
export function sumOf(samples: readonly Sample[], name: string, match: Record<string, string> = {}): number {
  return select(samples, name, match).reduce((total, sample) => total + sample.value, 0);
}

/**
 * `histogram_quantile` over the increase of a histogram between two scrapes: the quantile
 * `q` of the observations made in between, interpolated linearly inside a bucket the way
 * Prometheus does. NaN when nothing was observed.
 */
export function quantileBetween(
  earlier: readonly Sample[],
  later: readonly Sample[],
  histogram: string,
  q: number,
  match: Record<string, string> = {},
): number {
  const increase = new Map<number, number>();
  for (const sample of select(later, `${histogram}_bucket`, match)) {
    const le = sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le);
    increase.set(le, (increase.get(le) ?? 0) + sample.value);
  }
  for (const sample of select(earlier, `${histogram}_bucket`, match)) {
    const le = sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le);
    increase.set(le, (increase.get(le) ?? 0) - sample.value);
  }
  const buckets = [...increase.entries()].sort((a, b) => a[0] - b[0]);
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total <= 0) return Number.NaN;
  const rank = q * total;
  let previousBound = 0;
  let previousCount = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      if (bound === Infinity) return previousBound;
      return previousBound + ((bound - previousBound) * (rank - previousCount)) / Math.max(count - previousCount, Number.EPSILON);
    }
    previousBound = bound;
    previousCount = count;
  }
  return previousBound;
}
