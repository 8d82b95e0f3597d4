import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { ExtractionTask } from './extraction-thread';
import { extractMainContent, FallbackReason, type ExtractedContent } from './main-content';

export interface ContentExtractorOptions {
  /** Worker threads that parse pages. @default 1 */
  threads: number;
  /**
   * Time one page's main-content extraction may take; past it the thread is stopped and the
   * page gets its full text instead (EXTRACT_TIMEOUT_MS). @default 10000
   */
  timeoutMs: number;
}

export interface ExtractionResult extends ExtractedContent {
  /** Wall time of the extraction, queueing included. */
  elapsedMs: number;
}

const THREAD_FILE = resolve(__dirname, 'extraction-thread.ts');
// Threads run TypeScript too: they load tsx's loader themselves (as the tagging pool does).
const THREAD_EXEC_ARGV = ['--import', pathToFileURL(require.resolve('tsx')).href];

/**
 * Main-content extraction off the event loop: parsing a big page takes seconds (about
 * 1–2 s per MiB here, see docs/pipeline.md), during which the io worker must go on
 * heartbeating and fetching. Each page runs in a worker thread with a time budget; a page
 * over budget gets its full text, computed in a thread too. Close it to stop the threads.
 */
export function createContentExtractor(options: ContentExtractorOptions) {
  const threads = Math.max(1, Math.floor(options.threads));
  const pool = new Piscina<ExtractionTask, ExtractedContent>({
    filename: THREAD_FILE,
    execArgv: THREAD_EXEC_ARGV,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: Number.POSITIVE_INFINITY,
  });

  async function extract(html: string): Promise<ExtractionResult> {
    const started = performance.now();
    let content: ExtractedContent;
    try {
      content = await runWithBudget(html);
    } catch (error) {
      // An aborted task's thread is replaced by piscina; the page still gets its text.
      const fallback = isAbort(error) ? FallbackReason.Timeout : FallbackReason.Failed;
      content = await pool.run({ html, mode: 'full', fallback });
    }
    return { ...content, elapsedMs: Math.round(performance.now() - started) };
  }

  /** The budget runs from the moment a thread takes the page: waiting in the queue is not the page's fault. */
  async function runWithBudget(html: string): Promise<ExtractedContent> {
    const controller = new AbortController();
    const { port1, port2 } = new MessageChannel();
    let timer: NodeJS.Timeout | undefined;
    port1.once('message', () => {
      timer = setTimeout(() => controller.abort(), options.timeoutMs);
    });
    try {
      return await pool.run({ html, mode: 'main', started: port2 }, { signal: controller.signal, transferList: [port2] });
    } finally {
      clearTimeout(timer);
      port1.close();
    }
  }

  let closing: Promise<void> | undefined;
  return {
    extract,
    /** Stops the threads; safe to call twice. */
    close: (): Promise<void> => (closing ??= pool.destroy()),
  };
}

export type ContentExtractor = ReturnType<typeof createContentExtractor>;

/**
 * Extraction in the calling thread, without a budget: for tests and one-off tools, where
 * blocking the event loop for a big page costs nothing.
 */
export const inProcessExtractor: Pick<ContentExtractor, 'extract'> = {
  async extract(html: string): Promise<ExtractionResult> {
    const started = performance.now();
    const content = extractMainContent(html);
    return { ...content, elapsedMs: Math.round(performance.now() - started) };
  },
};

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError' || /abort/i.test(error.message));
}
