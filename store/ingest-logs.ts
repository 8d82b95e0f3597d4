import type { Message } from '../infra/i18n/i18n';
import { ObjectId, type Collection as MongoCollection, type Db, type Filter, type IndexDescription } from 'mongodb';
import { insertManyUnordered } from './bulk';
import { Collection } from './collections';
import { newestFirst } from './newest-first';

/**
 * The seed's 错误日志 (error log: invalid and duplicate input, continued past) and 失败日志
 * (failure log: things that should have been saved and were not — a URI, a script, a
 * generator start). Written by ingest and by the generators.
 */

/** What an error- or failure-log entry came from. */
export const LogSource = {
  Manual: 'manual',
  File: 'file',
  Config: 'config',
  Script: 'script',
  Generator: 'generator',
} as const;
export type LogSource = (typeof LogSource)[keyof typeof LogSource];

/** Inputs longer than this are kept cut (with their full length) — the point is to show what was wrong. */
export const MAX_LOGGED_INPUT_CHARS = 16_384;

interface LogEntryBase {
  _id: ObjectId;
  job: ObjectId | null;
  /** The job's name as given, kept even when no such job exists. */
  job_name: string | null;
  source: LogSource;
  ingest: ObjectId | null;
  task_generator: ObjectId | null;
  /** 1-based line (or CSV row) of the input; null when it has none. */
  line: number | null;
  /** The offending input (a URI, a file name), cut at {@link MAX_LOGGED_INPUT_CHARS}. */
  input: string;
  input_length: number;
  /** Machine-readable reason: `too_long`, `invalid_url`, `scheme_not_allowed`, `duplicate`, … */
  reason_code: string;
  /** The reason in words (English). */
  reason: string;
  /** The reason as a catalogue message (infra/i18n), so a reader sees it in their language; null on entries from before. */
  reason_message?: Message | null;
  /** The Temporal workflow the entry came from, if any. */
  workflow_id: string | null;
  add_datetime: Date;
}

/** `error_log` */
export interface ErrorLogDocument extends LogEntryBase {
  /** For `duplicate`: the task the input duplicates. */
  duplicate_of: ObjectId | null;
}

/** `failure_log` */
export interface FailureLogDocument extends LogEntryBase {
  /** For a script that failed to save: the script itself (so nothing the user sent is lost). */
  code: string | null;
}

export interface LogEntry {
  job?: ObjectId | null;
  jobName?: string | null;
  source: LogSource;
  ingest?: ObjectId | null;
  generator?: ObjectId | null;
  line?: number | null;
  input: string;
  reasonCode: string;
  reason: string;
  reasonMessage?: Message | null;
  workflowId?: string | null;
}

export interface ErrorLogEntry extends LogEntry {
  duplicateOf?: ObjectId | null;
}

export interface FailureLogEntry extends LogEntry {
  code?: string | null;
}

export interface LogQuery {
  job?: ObjectId;
  ingest?: ObjectId;
  generator?: ObjectId;
  /** Only entries of an ingest after this line (receipts page by line). */
  afterLine?: number;
  /** @default 50 (at most 1000) */
  limit?: number;
}

const logIndexes: IndexDescription[] = [
  { key: { job: 1, add_datetime: -1 }, name: 'job_added' },
  { key: { ingest: 1, line: 1 }, name: 'ingest_line' },
  { key: { task_generator: 1, add_datetime: -1 }, name: 'generator_added' },
  { key: { add_datetime: -1 }, name: 'added' },
];

export const INGEST_LOG_INDEXES: Record<string, IndexDescription[]> = {
  [Collection.ErrorLog]: logIndexes,
  [Collection.FailureLog]: logIndexes,
};

export function createIngestLogRepository(db: Db) {
  const errors = db.collection<ErrorLogDocument>(Collection.ErrorLog);
  const failures = db.collection<FailureLogDocument>(Collection.FailureLog);

  return {
    /** Appends error-log entries in one write; returns how many could not be written. */
    async recordErrors(entries: readonly ErrorLogEntry[]): Promise<number> {
      const now = new Date();
      const result = await insertManyUnordered(
        errors,
        entries.map((entry) => ({ ...base(entry, now), duplicate_of: entry.duplicateOf ?? null })),
      );
      return result.failed.size;
    },

    /** Appends failure-log entries in one write; returns how many could not be written. */
    async recordFailures(entries: readonly FailureLogEntry[]): Promise<number> {
      const now = new Date();
      const result = await insertManyUnordered(
        failures,
        entries.map((entry) => ({ ...base(entry, now), code: entry.code ?? null })),
      );
      return result.failed.size;
    },

    listErrors(query: LogQuery): Promise<ErrorLogDocument[]> {
      return find(errors, query);
    },

    listFailures(query: LogQuery): Promise<FailureLogDocument[]> {
      return find(failures, query);
    },
  };
}

export type IngestLogRepository = ReturnType<typeof createIngestLogRepository>;

function base(entry: LogEntry, now: Date): LogEntryBase {
  return {
    _id: new ObjectId(),
    job: entry.job ?? null,
    job_name: entry.jobName ?? null,
    source: entry.source,
    ingest: entry.ingest ?? null,
    task_generator: entry.generator ?? null,
    line: entry.line ?? null,
    input: entry.input.length > MAX_LOGGED_INPUT_CHARS ? entry.input.slice(0, MAX_LOGGED_INPUT_CHARS) : entry.input,
    input_length: entry.input.length,
    reason_code: entry.reasonCode,
    reason: entry.reason,
    reason_message: entry.reasonMessage ?? null,
    workflow_id: entry.workflowId ?? null,
    add_datetime: now,
  };
}

async function find<T extends LogEntryBase>(collection: MongoCollection<T>, query: LogQuery): Promise<T[]> {
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 1000);
  const filter: Filter<LogEntryBase> = {};
  if (query.ingest) {
    filter.ingest = query.ingest;
    filter.line = { $gt: query.afterLine ?? 0 };
    return (await collection.find(filter as Filter<T>).sort({ line: 1 }).limit(limit).toArray()) as T[];
  }
  if (query.job) filter.job = query.job;
  if (query.generator) filter.task_generator = query.generator;
  // Entries get a fresh ObjectId as they are written: newest first is `_id` order (see newestFirst).
  return (await newestFirst(collection, { filter: filter as Filter<T>, limit })) as T[];
}
