/** One line of a chart: points are [seconds since the run started, value]; NaN leaves a gap. */
export interface ChartSeries {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
}

export interface LineChartOptions {
  title: string;
  /** Shown after the title, e.g. "messages/s". */
  unit: string;
  series: ChartSeries[];
  /** Seconds the x axis spans. @default the last point */
  xMax?: number;
  /** Vertical marks, e.g. when a burst was sent. @default none */
  marks?: Array<{ at: number; label: string }>;
  /** @default 560 */
  width?: number;
  /** @default 260 */
  height?: number;
}

/** Grafana's classic palette, so the picture reads like the dashboard. */
const COLORS = ['#73bf69', '#f2cc0c', '#8ab8ff', '#ff780a', '#f2495c', '#5794f2', '#b877d9', '#705da0'];
const MARGIN = { top: 34, right: 16, bottom: 44, left: 52 };

/** A self-contained SVG line chart in a dark, Grafana-like style. */
export function lineChart(options: LineChartOptions): string {
  const width = options.width ?? 560;
  const height = options.height ?? 260;
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const finite = options.series.flatMap((series) => series.points.filter(([, value]) => Number.isFinite(value)));
  const xMax = options.xMax ?? Math.max(1, ...finite.map(([t]) => t));
  const yTicks = niceTicks(Math.max(...finite.map(([, value]) => value), 0));
  const yMax = yTicks.at(-1) ?? 1;
  const x = (t: number) => MARGIN.left + (t / xMax) * plotWidth;
  const y = (value: number) => MARGIN.top + plotHeight - (value / yMax) * plotHeight;

  const parts: string[] = [];
  parts.push(`<rect width="${width}" height="${height}" rx="4" fill="#181b1f" stroke="#2c3235"/>`);
  parts.push(
    `<text x="12" y="21" fill="#ccccdc" font-size="14" font-weight="600">${escape(options.title)} <tspan fill="#8e8e9e" font-weight="400">${escape(options.unit)}</tspan></text>`,
  );
  for (const tick of yTicks) {
    parts.push(`<line x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${y(tick)}" y2="${y(tick)}" stroke="#2c3235"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${y(tick) + 4}" fill="#8e8e9e" font-size="11" text-anchor="end">${formatNumber(tick)}</text>`);
  }
  for (const tick of niceTicks(xMax, 6).filter((t) => t <= xMax)) {
    parts.push(`<text x="${x(tick)}" y="${height - MARGIN.bottom + 15}" fill="#8e8e9e" font-size="11" text-anchor="middle">${tick}s</text>`);
  }
  for (const mark of options.marks ?? []) {
    parts.push(`<line x1="${x(mark.at)}" x2="${x(mark.at)}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" stroke="#8e8e9e" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${x(mark.at) + 4}" y="${MARGIN.top + 11}" fill="#8e8e9e" font-size="10">${escape(mark.label)}</text>`);
  }
  options.series.forEach((series, index) => {
    const color = COLORS[index % COLORS.length];
    parts.push(`<path d="${pathOf(series.points, x, y)}" fill="none" stroke="${color}" stroke-width="1.8" stroke-linejoin="round"/>`);
  });
  let legendX = MARGIN.left;
  options.series.forEach((series, index) => {
    const color = COLORS[index % COLORS.length];
    parts.push(`<rect x="${legendX}" y="${height - 17}" width="12" height="3" fill="${color}"/>`);
    parts.push(`<text x="${legendX + 16}" y="${height - 12}" fill="#ccccdc" font-size="11">${escape(series.name)}</text>`);
    legendX += 28 + series.name.length * 6.2;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Inter, Helvetica, Arial, sans-serif">${parts.join('')}</svg>`;
}

/** An SVG path that lifts the pen over NaN values. */
function pathOf(points: ChartSeries['points'], x: (t: number) => number, y: (value: number) => number): string {
  let pen = 'M';
  const commands: string[] = [];
  for (const [t, value] of points) {
    if (!Number.isFinite(value)) {
      pen = 'M';
      continue;
    }
    commands.push(`${pen}${x(t).toFixed(1)},${y(value).toFixed(1)}`);
    pen = 'L';
  }
  return commands.join(' ') || 'M0,0';
}

/** 0 and round steps up to at least `max` (1, 2 or 5 times a power of ten). */
export function niceTicks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0, 1];
  const rough = max / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 5, 10].find((factor) => factor * power >= rough) ?? 10) * power;
  const ticks: number[] = [];
  for (let tick = 0; tick < max + step * 0.999; tick += step) ticks.push(Number(tick.toPrecision(12)));
  return ticks;
}

function formatNumber(value: number): string {
  if (value >= 1000) return `${Number((value / 1000).toPrecision(3))}k`;
  return String(Number(value.toPrecision(3)));
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
