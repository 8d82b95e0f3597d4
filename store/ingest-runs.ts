import type { ObjectId, Db, IndexDescription } from 'mongodb';
import { Collection } from './collections';
import type { LogSource } from './ingest-logs';

export const IngestRunStatus = { Running: 'running', Done: 'done', Failed: 'failed' } as const;
export type IngestRunStatus = (typeof IngestRunStatus)[keyof typeof IngestRunStatus];

/** What happened to the lines of one input. */
export interface IngestCounts {
  /** Lines (or CSV rows) read, blank ones included. */
  lines: number;
  accepted: number;
  duplicate: number;
  invalid: number;
  failed: number;
  /** Blank lines and a CSV header: not URIs, not errors. */
  skipped: number;
}

/** `ingest_run`: one submission of URIs (a typed list, a file, a configuration string). */
export interface IngestRunDocument {
  _id: ObjectId;
  job: ObjectId;
  job_name: string;
  source: LogSource;
  /** The uploaded file's name (cleaned), when there was one. */
  filename: string | null;
  format: 'list' | 'txt' | 'csv';
  encoding: string | null;
  bytes: number;
  rules_version: number;
  status: IngestRunStatus;
  counts: IngestCounts;
  error: string | null;
  start_datetime: Date;
  finish_datetime: Date | null;
}

export const INGEST_RUN_INDEXES: Record<string, IndexDescription[]> = {
  [Collection.IngestRun]: [
    { key: { job: 1, start_datetime: -1 }, name: 'job_started' },
    { key: { start_datetime: -1 }, name: 'started' },
  ],
};

export function createIngestRunRepository(db: Db) {
  const runs = db.collection<IngestRunDocument>(Collection.IngestRun);
  return {
    async start(run: IngestRunDocument): Promise<void> {
      await runs.insertOne(run);
    },

    async finish(id: ObjectId, outcome: { status: IngestRunStatus; counts: IngestCounts; bytes: number; error?: string | null }): Promise<void> {
      await runs.updateOne(
        { _id: id },
        { $set: { status: outcome.status, counts: outcome.counts, bytes: outcome.bytes, error: outcome.error ?? null, finish_datetime: new Date() } },
      );
    },

    get(id: ObjectId): Promise<IngestRunDocument | null> {
      return runs.findOne({ _id: id });
    },

    /** Newest first, optionally for one job. */
    list(query: { job?: ObjectId; limit?: number } = {}): Promise<IngestRunDocument[]> {
      return runs
        .find(query.job ? { job: query.job } : {})
        .sort({ start_datetime: -1, _id: -1 })
        .limit(Math.min(Math.max(query.limit ?? 50, 1), 500))
        .toArray();
    },
  };
}

export type IngestRunRepository = ReturnType<typeof createIngestRunRepository>;
