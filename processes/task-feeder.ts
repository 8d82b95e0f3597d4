import { setTimeout as sleep } from 'node:timers/promises';
import type { FeedableTask, TaskFeedRepository } from '../store/task-feed';
import { LOWEST_OBJECT_ID, objectIdFrom } from '../store/object-id-range';
import { MongoNetworkError, MongoServerSelectionError, type ObjectId } from 'mongodb';
import { isKafkaUnreachable } from '../infra/kafka/kafka-errors';
import type { TaggedRecord } from '../infra/kafka/tagged-producer';
import { createDependencyState, Dependency, type DependencyState } from '../infra/logging/dependency-state';
import type { Logger } from '../infra/logging/logger';

/** The link message a crawler task becomes on the pipeline's input topic. */
export interface CrawlerTaskMessage {
  /** The task id: the bridge's workflow id is `msg-<id>`, so one task runs at most once. */
  id: string;
  type: 3;
  url: string;
  /** The job's id (hex). */
  job: string;
  taskId: string;
  source: 'crawler_task';
}

export interface TaskFeederOptions {
  /** Tasks read per page. @default 1000 */
  pageSize?: number;
  /** Pause after a pass that sent nothing. @default 1000 */
  idleMs?: number;
  /**
   * Each pass reads again the queue entries made this long before where the last one ended,
   * for entries whose insert committed after a later one (their `_id` is made before the write).
   * @default 30000
   */
  overlapMs?: number;
  /** A claim older than this is a dead feeder's: another takes it over. @default 60000 */
  staleClaimMs?: number;
  /** A pass over the whole queue (not just recent entries) at start and this often. @default 600000 */
  fullPassIntervalMs?: number;
  /**
   * Crawler tasks each pass sweeps, in `_id` order, for new tasks without a queue entry
   * (written by the seed's tools); the sweep starts over at the end. @default pageSize
   */
  sweepSize?: number;
}

export interface TaskFeederDeps {
  feed: TaskFeedRepository;
  /** The input topic's idempotent producer. */
  producer: { send(records: TaggedRecord[]): Promise<unknown> };
  /** Names this feeder in its claims (host and pid). */
  owner: string;
  logger: Logger;
  /** Where a Kafka or MongoDB outage is reported, once (the process lifecycle's). @default one of its own */
  dependencies?: DependencyState;
  options?: TaskFeederOptions;
}

/** What the feeder does while a dependency is away, as its warning says it. */
const MEANWHILE = 'crawler tasks stay queued in MongoDB; the feeder retries every 5 s and sends them once it is back — nothing is skipped';

/** The dependency a failed pass could not reach, or undefined when the pass failed for another reason (a person should look). */
function unreachableDependency(error: unknown): Dependency | undefined {
  if (isKafkaUnreachable(error)) return Dependency.Kafka;
  if (error instanceof MongoNetworkError || error instanceof MongoServerSelectionError) return Dependency.MongoDB;
  return undefined;
}

/**
 * Sends new crawler tasks (from ingest and from generators) to the pipeline's input topic as
 * link messages, so they are fetched and tagged and their status moves.
 *
 * Neither lost nor sent twice: a task is claimed (a marker with its id, unique) before it is
 * sent and marked sent after Kafka acknowledged it. A feeder that dies after claiming leaves
 * a stale claim that the next pass takes over, and a task still `new` is sent again. Only a
 * death in the instant between Kafka's ack and the marker write can put a task on the topic
 * twice — and its message id is the task id, so the bridge starts one workflow for both.
 */
export function createTaskFeeder(deps: TaskFeederDeps) {
  const pageSize = deps.options?.pageSize ?? 1000;
  const idleMs = deps.options?.idleMs ?? 1000;
  const overlapMs = deps.options?.overlapMs ?? 30_000;
  const staleClaimMs = deps.options?.staleClaimMs ?? 60_000;
  const dependencies = deps.dependencies ?? createDependencyState(deps.logger);
  for (const dependency of [Dependency.Kafka, Dependency.MongoDB]) dependencies.describe(dependency, MEANWHILE);
  const fullPassIntervalMs = deps.options?.fullPassIntervalMs ?? 600_000;
  const sweepSize = deps.options?.sweepSize ?? pageSize;
  const stopping = new AbortController();
  let watermark: Date | undefined;
  let lastFullPass = -Infinity;
  let sweptTo: ObjectId = LOWEST_OBJECT_ID;

  async function sendPage(page: FeedableTask[]): Promise<number> {
    const enabled = await deps.feed.enabledJobs([...new Map(page.map((task) => [task.job.toHexString(), task.job])).values()]);
    const candidates = page.filter((task) => enabled.has(task.job.toHexString()));
    const { claimed, sent } = await deps.feed.claim(candidates, deps.owner, new Date(Date.now() - staleClaimMs));
    const mine = candidates.filter((task) => claimed.has(task.id.toHexString()));
    // Queue entries of tasks sent before (by anyone) are done.
    const done = candidates.filter((task) => task.queued && sent.has(task.id.toHexString())).map((task) => task.queued!);
    if (mine.length === 0) {
      await deps.feed.dequeue(done);
      return 0;
    }
    const ids = mine.map((task) => task.id);
    try {
      await deps.producer.send(mine.map(toRecord));
    } catch (error) {
      await deps.feed.release(ids, deps.owner).catch(() => undefined);
      throw error;
    }
    await deps.feed.markSent(ids, deps.owner);
    // After the marker: an entry lost here is read again and dropped as sent.
    await deps.feed.dequeue([...done, ...mine.flatMap((task) => (task.queued ? [task.queued] : []))]);
    return mine.length;
  }

  /**
   * One pass: reads the queue from the watermark (minus the overlap) or, now and then, from its
   * start, page by page, then sweeps the next `sweepSize` crawler tasks. Each page is an `_id`
   * range: its cost depends on the page, not on how many tasks are stored.
   */
  async function runPass(): Promise<{ sent: number; scanned: number; full: boolean }> {
    const startedAt = Date.now();
    const full = watermark === undefined || startedAt - lastFullPass >= fullPassIntervalMs;
    let after = full ? LOWEST_OBJECT_ID : objectIdFrom(new Date(watermark!.getTime() - overlapMs));
    let sent = 0;
    let scanned = 0;
    while (!stopping.signal.aborted) {
      const page = await deps.feed.newTasks(after, pageSize);
      if (page.read === 0) break;
      scanned += page.read;
      sent += await sendPage(page.tasks);
      after = page.last!;
      const queuedAt = after.getTimestamp();
      if (watermark === undefined || queuedAt > watermark) watermark = queuedAt;
      if (page.read < pageSize) break;
    }
    if (!stopping.signal.aborted) {
      const swept = await deps.feed.sweep(sweptTo, sweepSize);
      scanned += swept.read;
      sent += await sendPage(swept.tasks);
      sweptTo = swept.read < sweepSize || !swept.last ? LOWEST_OBJECT_ID : swept.last;
    }
    watermark ??= new Date(startedAt);
    if (full) lastFullPass = startedAt;
    if (sent > 0) deps.logger.info({ sent, scanned, full }, 'sent crawler tasks to the pipeline');
    return { sent, scanned, full };
  }

  return {
    runPass,

    /** Feeds until {@link stop}; a failing pass is logged and retried. */
    async run(): Promise<void> {
      deps.logger.info({ owner: deps.owner }, 'task feeder running');
      while (!stopping.signal.aborted) {
        let pause = 0;
        try {
          const { sent } = await runPass();
          dependencies.reachable(Dependency.MongoDB);
          if (sent > 0) dependencies.reachable(Dependency.Kafka);
          if (sent === 0) pause = idleMs;
        } catch (error) {
          const away = unreachableDependency(error);
          // An outage is one warning (and one line when it ends), not an error every pass.
          if (away) {
            dependencies.unreachable(away, error, MEANWHILE);
            deps.logger.debug({ err: error, dependency: away }, 'task feeder pass failed; retrying');
          } else deps.logger.error({ err: error }, 'task feeder pass failed; retrying');
          pause = 5000;
        }
        if (pause > 0) await sleep(pause, undefined, { signal: stopping.signal }).catch(() => undefined);
      }
      deps.logger.info('task feeder stopped');
    },

    /** Ends `run()` after the current page. */
    stop(): void {
      stopping.abort();
    },
  };
}

export type TaskFeeder = ReturnType<typeof createTaskFeeder>;

export function crawlerTaskMessage(task: FeedableTask): CrawlerTaskMessage {
  const id = task.id.toHexString();
  return { id, type: 3, url: task.uri, job: task.job.toHexString(), taskId: id, source: 'crawler_task' };
}

function toRecord(task: FeedableTask): TaggedRecord {
  const id = task.id.toHexString();
  return { key: id, value: JSON.stringify(crawlerTaskMessage(task)), headers: { source: 'crawler_task' } };
}
