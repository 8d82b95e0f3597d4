import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import pino from 'pino';
import type { Logger } from '../../../infra/logging/logger';
import type { TagOutcome, TaggableMessage, TaggingEngine } from '../api';
import { prepareMessage } from '../text/prepare-message';
import { modelBytes } from '../classifier/compiled-model';
import { automatonBytes } from '../keywords/automaton';
import { loadSnapshot, type LoadedSnapshot, type SnapshotSources } from './load-snapshot';
import { watchFiles } from './watch-files';
import { ENGINE_VERSION, preparePlan, type EngineSnapshot, type TagTask, type TagTaskResult } from './snapshot';

export interface TaggingEngineOptions {
  /** Service type whose built-in rules apply when `rulesFile` is not given (SERVICE_TYPE). */
  serviceType: string;
  /** Rules file (YAML or JSON); undefined means `default-rules/<serviceType>.yaml`. */
  rulesFile?: string;
  /** Trained classifier model (`crawlflow tagger train`); undefined means rules only. */
  modelFile?: string;
  /** Worker threads that tag. */
  threads: number;
  /** @default a silent logger */
  logger?: Logger;
  /**
   * Reload when the rules, a keyword file or the model file changes on disk.
   * @default true
   */
  watch?: boolean;
  /**
   * Signal that makes the engine reload; null for none.
   * @default 'SIGHUP'
   */
  reloadSignal?: NodeJS.Signals | null;
  /**
   * Quiet time after a file change before reloading, so an editor's several writes count once.
   * @default 200
   */
  watchDebounceMs?: number;
  /**
   * Largest number of messages in one thread task; bigger batches are split across threads.
   * @default 64
   */
  chunkSize?: number;
}

/** What a reload did. A failed reload keeps the rules in force and says why. */
export type ReloadOutcome =
  | { status: 'reloaded'; rulesVersion: string; modelVersion: string | undefined }
  | { status: 'unchanged'; rulesVersion: string; modelVersion: string | undefined }
  | { status: 'failed'; error: Error; rulesVersion: string; modelVersion: string | undefined };

export interface TaggingEngineStats {
  threads: number;
  rulesSource: string;
  rulesVersion: string;
  modelVersion: string | undefined;
  rules: number;
  keywords: number;
  /** Bytes of the compiled keyword automaton, held once and shared by all threads. */
  automatonBytes: number;
  /** Bytes of the compiled model (vocabulary and weights), also shared; 0 without a model. */
  modelBytes: number;
  /** Share of the threads' time spent tagging since the pool started, 0–1 (piscina's utilization). */
  utilization: number;
  /** Tagging tasks waiting for a free thread. */
  queued: number;
}

/** The engine behind the tag activity and `crawlflow tagger tag`: rules and model in a thread pool. */
export interface PooledTaggingEngine extends TaggingEngine {
  readonly rulesVersion: string;
  readonly modelVersion: string | undefined;
  /** Loads the files again; a broken file is reported and never replaces working rules. */
  reload(): Promise<ReloadOutcome>;
  stats(): TaggingEngineStats;
}

const THREAD_FILE = resolve(__dirname, 'tagging-thread.ts');
// Threads run TypeScript too: they load tsx's loader themselves instead of inheriting
// however the parent process was started (bin/crawlflow.js registers tsx through its API).
const THREAD_EXEC_ARGV = ['--import', pathToFileURL(require.resolve('tsx')).href];

/**
 * Builds the tagging engine: loads and compiles the rules (and model) once, starts the
 * thread pool, and keeps the rules current (file watch and `reloadSignal`).
 * @throws {RulesFileError} when the rules cannot be used at start.
 * @throws {ModelFileError} when the model cannot be used at start.
 */
export async function createTaggingEngine(options: TaggingEngineOptions): Promise<PooledTaggingEngine> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const sources: SnapshotSources = {
    serviceType: options.serviceType,
    rulesFile: options.rulesFile === undefined ? undefined : resolve(options.rulesFile),
    modelFile: options.modelFile === undefined ? undefined : resolve(options.modelFile),
  };
  let current: LoadedSnapshot = loadSnapshot(sources);
  const threads = Math.max(1, Math.floor(options.threads));
  const chunkSize = Math.max(1, options.chunkSize ?? 64);
  const pool = new Piscina<TagTask, TagTaskResult>({
    filename: THREAD_FILE,
    execArgv: THREAD_EXEC_ARGV,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: Number.POSITIVE_INFINITY,
  });
  logger.info({ ...describe(current), threads }, 'tagging engine started');

  let closed = false;
  let reloading: Promise<ReloadOutcome> | undefined;
  let stopWatching = () => {};
  let debounce: NodeJS.Timeout | undefined;

  const versions = () => ({ rulesVersion: current.snapshot.rules.version, modelVersion: current.snapshot.model?.version });

  const reloadNow = (): ReloadOutcome => {
    let next: LoadedSnapshot;
    try {
      next = loadSnapshot(sources);
    } catch (error) {
      logger.error({ err: error, ...versions() }, 'tagging rules or model reload failed: keeping the ones in force');
      return { status: 'failed', error: error as Error, ...versions() };
    }
    if (next.snapshot.key === current.snapshot.key) return { status: 'unchanged', ...versions() };
    const previous = versions();
    current = next;
    rewatch();
    logger.info({ ...describe(current), previous }, 'tagging rules reloaded');
    return { status: 'reloaded', ...versions() };
  };

  const reload = (): Promise<ReloadOutcome> => {
    // One reload at a time; a request during a reload waits for it and then runs again.
    const run = (reloading ?? Promise.resolve()).then(reloadNow, reloadNow);
    reloading = run;
    return run;
  };

  const scheduleReload = () => {
    if (closed) return;
    clearTimeout(debounce);
    debounce = setTimeout(() => void reload(), options.watchDebounceMs ?? 200);
  };

  const rewatch = () => {
    stopWatching();
    if (options.watch === false || closed) return;
    stopWatching = watchFiles(current.files, scheduleReload, logger);
  };
  rewatch();

  const signal = options.reloadSignal === undefined ? 'SIGHUP' : options.reloadSignal;
  const onSignal = () => {
    logger.info({ signal }, 'reloading tagging rules on signal');
    void reload();
  };
  if (signal) process.on(signal, onSignal);

  const tagBatch = async (messages: TaggableMessage[]): Promise<TagOutcome[]> => {
    if (closed) throw new Error('the tagging engine is closed');
    const { snapshot } = current;
    const plan = preparePlan(snapshot);
    const prepared = messages.map((message, index) => prepareMessage(message, index, plan));
    const size = Math.min(chunkSize, Math.max(1, Math.ceil(prepared.length / threads)));
    const chunks: Array<Promise<TagOutcome[]>> = [];
    for (let start = 0; start < prepared.length; start += size) {
      chunks.push(runChunk(snapshot, prepared.slice(start, start + size)));
    }
    return (await Promise.all(chunks)).flat();
  };

  /** Runs one chunk; a thread that has not seen this snapshot yet gets it on a second try. */
  const runChunk = async (snapshot: EngineSnapshot, messages: TagTask['messages']): Promise<TagOutcome[]> => {
    const first = await pool.run({ key: snapshot.key, messages });
    if ('outcomes' in first) return first.outcomes;
    const second = await pool.run({ key: snapshot.key, snapshot, messages });
    if ('outcomes' in second) return second.outcomes;
    throw new Error('tagging thread refused a task that carried its snapshot');
  };

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      closed = true;
      clearTimeout(debounce);
      if (signal) process.off(signal, onSignal);
      stopWatching();
      await reloading?.catch(() => undefined);
      await pool.destroy();
    })();
    return closing;
  };

  return {
    engineVersion: ENGINE_VERSION,
    get rulesVersion() {
      return current.snapshot.rules.version;
    },
    get modelVersion() {
      return current.snapshot.model?.version;
    },
    tagBatch,
    reload,
    close,
    stats: () => ({
      threads,
      rulesSource: current.snapshot.rules.source,
      rulesVersion: current.snapshot.rules.version,
      modelVersion: current.snapshot.model?.version,
      rules: current.snapshot.rules.rules.length,
      keywords: current.snapshot.rules.keywordCount,
      automatonBytes: automatonBytes(current.snapshot.rules.keywords.automaton),
      modelBytes: current.snapshot.model ? modelBytes(current.snapshot.model) : 0,
      utilization: pool.utilization,
      queued: pool.queueSize,
    }),
  };
}

function describe(loaded: LoadedSnapshot) {
  const { rules, model } = loaded.snapshot;
  return {
    rulesSource: rules.source,
    rulesVersion: rules.version,
    rules: rules.rules.length,
    keywords: rules.keywordCount,
    modelVersion: model?.version,
    modelTags: model?.tags,
  };
}
