import { message } from '../infra/i18n/i18n';
import { ObjectId, type Db, type IndexDescription } from 'mongodb';
import { Collection } from './collections';
import { findCompanions } from './companions';
import { createTaskCountRepository } from './task-counts';
import { checkMaxLength, DuplicateRecordError, isDuplicateKeyError, RecordValidationError } from './errors';

/** The seed's `Job.STATUS_*`: 1 启用 (on), 2 下线 (off). */
export const JobStatus = { On: 1, Off: 2 } as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

/** `job`: exactly the seed's `Job` model. */
export interface JobDocument {
  _id: ObjectId;
  /** StringField(max_length=128); crawlflow also keeps it unique (the CLI and page name jobs). */
  name: string;
  /** StringField(max_length=1024). */
  info: string;
  /** StringField(max_length=128, null=True). */
  customer: string | null;
  status: JobStatus;
  add_datetime: Date;
}

/**
 * The opinionated URI rules a job opts into (all off by default); the safe rules always apply.
 * See domain/uris/normalize.ts.
 */
export interface JobUriRules {
  /** Keep the `#fragment` (dropped by default: it never reaches the server). */
  keepFragment: boolean;
  /** Sort query parameters by name. */
  sortQuery: boolean;
  /** Drop tracking parameters (utm_*, gclid, fbclid, …). */
  dropTrackingParams: boolean;
  /** Strip session ids (jsessionid path parameters, PHPSESSID, sid, …). */
  stripSessionIds: boolean;
}

export const DEFAULT_JOB_URI_RULES: Readonly<JobUriRules> = {
  keepFragment: false,
  sortQuery: false,
  dropTrackingParams: false,
  stripSessionIds: false,
};

/** The URI rules switched on in `flags` (a command line's options, a request body): only `true` counts. */
export function uriRulesFrom(flags: Readonly<Record<string, unknown>>): JobUriRules {
  return {
    keepFragment: flags.keepFragment === true,
    sortQuery: flags.sortQuery === true,
    dropTrackingParams: flags.dropTrackingParams === true,
    stripSessionIds: flags.stripSessionIds === true,
  };
}

/** `job_settings`: crawlflow's companion of a job (same `_id`); absent means the defaults. */
export interface JobSettingsDocument {
  _id: ObjectId;
  keep_fragment: boolean;
  sort_query: boolean;
  drop_tracking_params: boolean;
  strip_session_ids: boolean;
  update_datetime: Date;
}

/** A job as crawlflow's services see it: the seed's fields plus its URI rules. */
export interface Job {
  id: ObjectId;
  name: string;
  info: string;
  customer: string | null;
  status: JobStatus;
  addedAt: Date;
  uriRules: JobUriRules;
}

export interface NewJob {
  name: string;
  info?: string;
  customer?: string | null;
  uriRules?: Partial<JobUriRules>;
}

export const JOB_INDEXES: Record<string, IndexDescription[]> = {
  [Collection.Job]: [{ key: { name: 1 }, name: 'name_unique', unique: true }],
};

export function createJobRepository(db: Db) {
  const jobs = db.collection<JobDocument>(Collection.Job);
  const settings = db.collection<JobSettingsDocument>(Collection.JobSettings);
  const taskCounts = createTaskCountRepository(db);

  async function withSettings(documents: JobDocument[]): Promise<Job[]> {
    const byId = await findCompanions(settings, documents.map((job) => job._id));
    return documents.map((job) => toJob(job, byId.get(job._id.toHexString())));
  }

  return {
    /**
     * Creates a job (status on). Its settings are written first and removed again if the job
     * cannot be, so a failed create leaves nothing behind that anything reads.
     *
     * @throws {DuplicateRecordError} when a job of that name exists.
     */
    async create(input: NewJob): Promise<Job> {
      const name = input.name.trim();
      checkJobFields(name, input.info ?? '', input.customer ?? null);
      const now = new Date();
      const document: JobDocument = {
        _id: new ObjectId(),
        name,
        info: input.info ?? '',
        customer: input.customer ?? null,
        status: JobStatus.On,
        add_datetime: now,
      };
      const uriRules = { ...DEFAULT_JOB_URI_RULES, ...input.uriRules };
      await settings.insertOne(toSettingsDocument(document._id, uriRules, now));
      try {
        await jobs.insertOne(document);
      } catch (error) {
        await settings.deleteOne({ _id: document._id }).catch(() => undefined);
        if (isDuplicateKeyError(error)) throw new DuplicateRecordError(Collection.Job, `a job named ${JSON.stringify(name)}`, message('errors.job_exists', { job: name }));
        throw error;
      }
      // Counts from zero; if this write is lost, the first read counts the (few) tasks instead.
      await taskCounts.createFor(document._id).catch(() => undefined);
      return toJob(document, toSettingsDocument(document._id, uriRules, now));
    },

    async findByName(name: string): Promise<Job | null> {
      const document = await jobs.findOne({ name: name.trim() });
      return document ? ((await withSettings([document]))[0] ?? null) : null;
    },

    async get(id: ObjectId): Promise<Job | null> {
      const document = await jobs.findOne({ _id: id });
      return document ? ((await withSettings([document]))[0] ?? null) : null;
    },

    /** All jobs by name (a deployment has tens, not millions). */
    async list(): Promise<Job[]> {
      return withSettings(await jobs.find({}).sort({ name: 1 }).toArray());
    },

    /** Sets a job's status; returns false when no job has that id. */
    async setStatus(id: ObjectId, status: JobStatus): Promise<boolean> {
      const result = await jobs.updateOne({ _id: id }, { $set: { status } });
      return result.matchedCount === 1;
    },

    async setUriRules(id: ObjectId, rules: JobUriRules): Promise<void> {
      const { _id, ...fields } = toSettingsDocument(id, rules, new Date());
      await settings.updateOne({ _id }, { $set: fields }, { upsert: true });
    },
  };
}

export type JobRepository = ReturnType<typeof createJobRepository>;

function checkJobFields(name: string, info: string, customer: string | null): void {
  if (name === '') throw new RecordValidationError('name', 'must not be empty', message('errors.field_empty', { field: 'name' }));
  checkMaxLength('name', name, 128);
  checkMaxLength('info', info, 1024);
  checkMaxLength('customer', customer, 128);
}

function toSettingsDocument(id: ObjectId, rules: JobUriRules, now: Date): JobSettingsDocument {
  return {
    _id: id,
    keep_fragment: rules.keepFragment,
    sort_query: rules.sortQuery,
    drop_tracking_params: rules.dropTrackingParams,
    strip_session_ids: rules.stripSessionIds,
    update_datetime: now,
  };
}

function toJob(document: JobDocument, settings: JobSettingsDocument | undefined): Job {
  return {
    id: document._id,
    name: document.name,
    info: document.info ?? '',
    customer: document.customer ?? null,
    status: document.status,
    addedAt: document.add_datetime,
    uriRules: settings
      ? {
          keepFragment: settings.keep_fragment === true,
          sortQuery: settings.sort_query === true,
          dropTrackingParams: settings.drop_tracking_params === true,
          stripSessionIds: settings.strip_session_ids === true,
        }
      : { ...DEFAULT_JOB_URI_RULES },
  };
}
