import type { Db, ObjectId } from 'mongodb';
import { Collection } from './collections';


export interface GeneratorRunStateDocument {
  _id: ObjectId;
  last_run_at: Date;
  last_outcome: string;
  last_log: ObjectId | null;
  last_uris_new: number;
  last_failed_reason: string | null;
  last_workflow_id: string | null;
  runs: number;
  failures: number;
  /** Failed runs since the last successful one. */
  failures_in_a_row: number;
}

export interface GeneratorRunState {
  generator: ObjectId;
  lastRunAt: Date;
  lastOutcome: string;
  lastLog: ObjectId | null;
  lastUrisNew: number;
  lastFailedReason: string | null;
  lastWorkflowId: string | null;
  runs: number;
  failures: number;
  failuresInARow: number;
}

export interface FinishedRun {
  generator: ObjectId;
  succeeded: boolean;
  outcome: string;
  log: ObjectId | null;
  urisNew: number;
  failedReason: string | null;
  workflowId: string | null;
}

export function createGeneratorRunStateRepository(db: Db) {
  const states = db.collection<GeneratorRunStateDocument>(Collection.GeneratorRunState);
  return {
    /** Notes a finished run (an upsert; counters only go up). */
    async recordRun(run: FinishedRun): Promise<void> {
      await states.updateOne(
        { _id: run.generator },
        {
          $set: {
            last_run_at: new Date(),
            last_outcome: run.outcome,
            last_log: run.log,
            last_uris_new: run.urisNew,
            last_failed_reason: run.failedReason,
            last_workflow_id: run.workflowId,
            ...(run.succeeded ? { failures_in_a_row: 0 } : {}),
          },
          $inc: { runs: 1, failures: run.succeeded ? 0 : 1, ...(run.succeeded ? {} : { failures_in_a_row: 1 }) },
        },
        { upsert: true },
      );
    },

    async get(generator: ObjectId): Promise<GeneratorRunState | null> {
      const document = await states.findOne({ _id: generator });
      return document ? toState(document) : null;
    },

    async getMany(generators: readonly ObjectId[]): Promise<Map<string, GeneratorRunState>> {
      if (generators.length === 0) return new Map();
      const documents = await states.find({ _id: { $in: [...generators] } }).toArray();
      return new Map(documents.map((document) => [document._id.toHexString(), toState(document)]));
    },
  };
}

export type GeneratorRunStateRepository = ReturnType<typeof createGeneratorRunStateRepository>;

function toState(document: GeneratorRunStateDocument): GeneratorRunState {
  return {
    generator: document._id,
    lastRunAt: document.last_run_at,
    lastOutcome: document.last_outcome,
    lastLog: document.last_log ?? null,
    lastUrisNew: document.last_uris_new ?? 0,
    lastFailedReason: document.last_failed_reason ?? null,
    lastWorkflowId: document.last_workflow_id ?? null,
    runs: document.runs ?? 0,
    failures: document.failures ?? 0,
    failuresInARow: document.failures_in_a_row ?? 0,
  };
}
