/**
 * Main-content extraction benchmark: quality on the fixture set, cost per page from 64 KiB
 * to the 10 MiB fetch cap beside today's full text (htmlToPlainText) in the same run, and
 * what the worker-thread pool does for the event loop.
 *
 *   npm run bench:extract            # about two minutes on 2 cores
 *   npx tsx bench/extract.bench.ts --quick
 *
 * ms are CPU milliseconds of this process (best of the rounds), which hold up better than
 * wall time on a shared machine; the pool figures are wall time. Results and their reading
 * are in docs/pipeline.md ("Main content and charsets").
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createContentExtractor } from '../domain/pages/content-extractor';
import { htmlToPlainText } from '../domain/pages/html-text';
import { extractMainContent } from '../domain/pages/main-content';
import { tokenOverlap } from '../support/token-overlap';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const QUICK = args.quick === true;
const FIXTURES = join(__dirname, '..', 'test', 'fixtures', 'pages');
const MiB = 1024 * 1024;

function cpuMs(work: () => void): number {
  const before = process.cpuUsage();
  work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

function best(rounds: number, work: () => void): number {
  let fastest = Number.POSITIVE_INFINITY;
  for (let round = 0; round < rounds; round++) fastest = Math.min(fastest, cpuMs(work));
  return fastest;
}

/** Quality on the fixture set: mean token precision and recall, full text against extraction. */
function quality(): void {
  const articles = readdirSync(FIXTURES).filter((file) => file.startsWith('article-') && file.endsWith('.html'));
  const sums = { fullP: 0, fullR: 0, mainP: 0, mainR: 0 };
  for (const file of articles) {
    const html = readFileSync(join(FIXTURES, file), 'utf8');
    const expected = readFileSync(join(FIXTURES, file.replace(/\.html$/, '.expected.txt')), 'utf8');
    const full = tokenOverlap(htmlToPlainText(html), expected);
    const main = tokenOverlap(extractMainContent(html).text, expected);
    sums.fullP += full.precision;
    sums.fullR += full.recall;
    sums.mainP += main.precision;
    sums.mainR += main.recall;
  }
  const n = articles.length;
  console.log(`fixture set: ${n} article pages`);
  console.log(`  full text (before)    precision ${(sums.fullP / n).toFixed(3)}  recall ${(sums.fullR / n).toFixed(3)}`);
  console.log(`  main content (after)  precision ${(sums.mainP / n).toFixed(3)}  recall ${(sums.mainR / n).toFixed(3)}\n`);
}

/**
 * A page of about `bytes`, built the way big real pages are: an article, a framework's state
 * as inline JSON (a third of the bytes), and a long tail of comment threads and teaser lists.
 */
function bigPage(bytes: number): string {
  const article = readFileSync(join(FIXTURES, 'article-zh-portal-sina.html'), 'utf8');
  const state = `<script>window.__STATE__=${JSON.stringify({ items: Array.from({ length: Math.floor(bytes / 3 / 48) }, (_, id) => ({ id, title: `item ${id}`, tags: ['a', 'b'] })) })}</script>`;
  const thread =
    '<div class="comments"><ol class="comment-list"><li class="comment"><article class="comment-body"><footer class="comment-meta"><b class="fn">reader</b> <time>March 2, 2024</time></footer>' +
    '<div class="comment-content"><p>I read this twice and I still think the second half of the argument does not follow from the first, but the reporting is solid.</p></div><a class="comment-reply-link">Reply</a></article></li></ol></div>' +
    '<div class="teasers"><ul><li><a href="/a">Another story from the same section</a></li><li><a href="/b">Yet another story from the same section</a></li></ul></div>';
  const room = bytes - article.length - state.length;
  return article.replace('</body>', `${state}${thread.repeat(Math.max(0, Math.ceil(room / thread.length)))}</body>`);
}

function costs(): void {
  const sizes = QUICK ? [64 * 1024, 1 * MiB] : [64 * 1024, 256 * 1024, 1 * MiB, 4 * MiB, 10 * MiB];
  console.log('size      full text ms   extraction ms   ratio   method (reason)');
  for (const size of sizes) {
    const html = bigPage(size);
    const rounds = size <= MiB ? 3 : 1;
    htmlToPlainText(html);
    const full = best(rounds, () => htmlToPlainText(html));
    let result = extractMainContent(html);
    const main = best(rounds, () => {
      result = extractMainContent(html);
    });
    const label = size >= MiB ? `${size / MiB} MiB` : `${size / 1024} KiB`;
    console.log(
      `${label.padEnd(9)} ${full.toFixed(0).padStart(12)} ${main.toFixed(0).padStart(15)} ${(main / full).toFixed(1).padStart(7)}   ${result.method}${result.fallback ? ` (${result.fallback})` : ''}`,
    );
  }
  console.log('');
}

/** The event loop's worst stall while one big page is extracted, in process and in the pool. */
async function eventLoop(): Promise<void> {
  const html = bigPage(QUICK ? 1 * MiB : 4 * MiB);
  const label = QUICK ? '1 MiB' : '4 MiB';
  const inProcess = monitorEventLoopDelay({ resolution: 10 });
  inProcess.enable();
  await new Promise((resolve) => setTimeout(resolve, 20));
  extractMainContent(html);
  await new Promise((resolve) => setTimeout(resolve, 20));
  inProcess.disable();

  const extractor = createContentExtractor({ threads: 1, timeoutMs: 5000 });
  await extractor.extract('<html><body><p>warm up</p></body></html>');
  const pooled = monitorEventLoopDelay({ resolution: 10 });
  pooled.enable();
  const result = await extractor.extract(html);
  pooled.disable();
  await extractor.close();
  console.log(`event loop, one ${label} page: worst stall in process ${(inProcess.max / 1e6).toFixed(0)} ms, through the pool ${(pooled.max / 1e6).toFixed(0)} ms (pool result: ${result.method}${result.fallback ? `, ${result.fallback}` : ''}, ${result.elapsedMs} ms wall)`);
}

async function main(): Promise<void> {
  console.log(`machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load ${loadavg()[0]!.toFixed(1)}\n`);
  quality();
  costs();
  await eventLoop();
}

void main();
