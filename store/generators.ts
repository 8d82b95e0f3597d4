import { ObjectId, type Db, type Filter, type IndexDescription } from 'mongodb';
import { Collection } from './collections';
import { findCompanions } from './companions';
import { checkMaxLength, RecordValidationError } from './errors';

/** The seed's `CrawlerTaskGenerator.STATUS_*`. */
export const GeneratorStatus = {
  Alpha: 1,
  Beta: 2,
  Production: 3,
  /** 启用 */
  On: 4,
  /** 下线 */
  Off: 5,
  /** 测试失败 */
  TestFailed: 6,
} as const;
export type GeneratorStatus = (typeof GeneratorStatus)[keyof typeof GeneratorStatus];

export const GENERATOR_STATUS_NAMES: Readonly<Record<GeneratorStatus, string>> = {
  1: 'alpha',
  2: 'beta',
  3: 'production',
  4: 'on',
  5: 'off',
  6: 'test failed',
};

/** The seed's four priorities (dispatch_uri: "very high" goes to the front of the queue). */
export const GeneratorPriority = {
  VeryHigh: 'very high',
  High: 'high',
  Medium: 'medium',
  Low: 'low',
} as const;
export type GeneratorPriority = (typeof GeneratorPriority)[keyof typeof GeneratorPriority];

export const GeneratorLanguage = { Python: 'python', Shell: 'shell' } as const;
export type GeneratorLanguage = (typeof GeneratorLanguage)[keyof typeof GeneratorLanguage];

/** `crawler_task_generator`: exactly the seed's `CrawlerTaskGenerator` model. */
export interface GeneratorDocument {
  _id: ObjectId;
  job: ObjectId;
  /** The script's source. */
  code: string;
  /** StringField(max_length=128); null: no schedule, runs only by hand. */
  cron: string | null;
  status: GeneratorStatus;
  add_datetime: Date;
}

/** `crawler_task_generator_settings`: crawlflow's companion of a generator (same `_id`). */
export interface GeneratorSettingsDocument {
  _id: ObjectId;
  name: string;
  language: GeneratorLanguage;
  priority: GeneratorPriority;
  /** Wall-time limit of one run. */
  timeout_seconds: number;
  network_allowed: boolean;
  /** The uploaded file's name (cleaned), for people. */
  filename: string | null;
  update_datetime: Date;
  /** The code's revision (1 for the uploaded script; each replacement adds one). Absent: 1. */
  revision?: number;
  /** The latest test run (`crawlflow generator test`), absent when never tested. */
  last_test?: GeneratorTestRecordDocument;
}

export interface GeneratorTestRecordDocument {
  passed: boolean;
  revision: number;
  reason: string | null;
  test_datetime: Date;
  workflow_id: string | null;
}

/** The latest test run of a generator. */
export interface GeneratorTestRecord {
  passed: boolean;
  /** The code revision the test ran. */
  revision: number;
  reason: string | null;
  testedAt: Date;
  workflowId: string | null;
}

export interface Generator {
  id: ObjectId;
  job: ObjectId;
  code: string;
  cron: string | null;
  status: GeneratorStatus;
  addedAt: Date;
  name: string;
  language: GeneratorLanguage;
  priority: GeneratorPriority;
  timeoutSeconds: number;
  networkAllowed: boolean;
  filename: string | null;
  updatedAt: Date;
  revision: number;
  lastTest: GeneratorTestRecord | null;
}

export interface NewGenerator {
  job: ObjectId;
  code: string;
  cron: string | null;
  /** @default GeneratorStatus.Alpha (the seed's default) */
  status?: GeneratorStatus;
  name: string;
  language: GeneratorLanguage;
  /** @default 'medium' */
  priority?: GeneratorPriority;
  timeoutSeconds: number;
  /** @default false */
  networkAllowed?: boolean;
  /** @default null */
  filename?: string | null;
}

export type GeneratorChanges = Partial<
  Pick<
    Generator,
    'code' | 'cron' | 'status' | 'name' | 'priority' | 'timeoutSeconds' | 'networkAllowed' | 'language' | 'filename' | 'revision' | 'lastTest'
  >
>;

/** Largest script crawlflow stores: far above any real generator, far below MongoDB's 16 MiB document limit. */
export const MAX_GENERATOR_CODE_BYTES = 1024 * 1024;

export const GENERATOR_INDEXES: Record<string, IndexDescription[]> = {
  [Collection.CrawlerTaskGenerator]: [
    { key: { job: 1, add_datetime: -1 }, name: 'job_added' },
    { key: { status: 1 }, name: 'status' },
  ],
};

export function createGeneratorRepository(db: Db) {
  const generators = db.collection<GeneratorDocument>(Collection.CrawlerTaskGenerator);
  const settings = db.collection<GeneratorSettingsDocument>(Collection.GeneratorSettings);

  async function withSettings(documents: GeneratorDocument[]): Promise<Generator[]> {
    const byId = await findCompanions(settings, documents.map((generator) => generator._id));
    return documents.map((generator) => toGenerator(generator, byId.get(generator._id.toHexString())));
  }

  async function get(id: ObjectId): Promise<Generator | null> {
    const document = await generators.findOne({ _id: id });
    return document ? ((await withSettings([document]))[0] ?? null) : null;
  }

  return {
    /**
     * Stores a generator: its settings first, then the seed document, and the settings are
     * removed again if the seed document cannot be written — a failed save leaves nothing a
     * reader sees. The caller records the failure (failure log) and tells the user.
     */
    async create(input: NewGenerator): Promise<Generator> {
      checkGenerator(input);
      const now = new Date();
      const id = new ObjectId();
      const settingsDocument: GeneratorSettingsDocument = {
        _id: id,
        name: input.name,
        language: input.language,
        priority: input.priority ?? GeneratorPriority.Medium,
        timeout_seconds: input.timeoutSeconds,
        network_allowed: input.networkAllowed ?? false,
        filename: input.filename ?? null,
        update_datetime: now,
        revision: 1,
      };
      const document: GeneratorDocument = {
        _id: id,
        job: input.job,
        code: input.code,
        cron: input.cron,
        status: input.status ?? GeneratorStatus.Alpha,
        add_datetime: now,
      };
      await settings.insertOne(settingsDocument);
      try {
        await generators.insertOne(document);
      } catch (error) {
        await settings.deleteOne({ _id: id }).catch(() => undefined);
        throw error;
      }
      return toGenerator(document, settingsDocument);
    },

    get,

    /** Newest first; by job and/or statuses. */
    async list(query: { job?: ObjectId; statuses?: GeneratorStatus[]; limit?: number } = {}): Promise<Generator[]> {
      const filter: Filter<GeneratorDocument> = {};
      if (query.job) filter.job = query.job;
      if (query.statuses) filter.status = { $in: query.statuses };
      const documents = await generators
        .find(filter)
        .sort({ add_datetime: -1, _id: -1 })
        .limit(Math.min(Math.max(query.limit ?? 100, 1), 1000))
        .toArray();
      return withSettings(documents);
    },

    /** Applies changes; returns the generator as it now is, or null when there is none. */
    async update(id: ObjectId, changes: GeneratorChanges): Promise<Generator | null> {
      const current = await get(id);
      if (!current) return null;
      checkGenerator({ ...current, ...changes });
      const seedFields: Partial<GeneratorDocument> = {};
      if (changes.code !== undefined) seedFields.code = changes.code;
      if (changes.cron !== undefined) seedFields.cron = changes.cron;
      if (changes.status !== undefined) seedFields.status = changes.status;
      const settingsFields: Partial<GeneratorSettingsDocument> = { update_datetime: new Date() };
      if (changes.name !== undefined) settingsFields.name = changes.name;
      if (changes.priority !== undefined) settingsFields.priority = changes.priority;
      if (changes.timeoutSeconds !== undefined) settingsFields.timeout_seconds = changes.timeoutSeconds;
      if (changes.networkAllowed !== undefined) settingsFields.network_allowed = changes.networkAllowed;
      if (changes.language !== undefined) settingsFields.language = changes.language;
      if (changes.filename !== undefined) settingsFields.filename = changes.filename;
      if (changes.revision !== undefined) settingsFields.revision = changes.revision;
      if (changes.lastTest !== undefined && changes.lastTest !== null) {
        settingsFields.last_test = {
          passed: changes.lastTest.passed,
          revision: changes.lastTest.revision,
          reason: changes.lastTest.reason,
          test_datetime: changes.lastTest.testedAt,
          workflow_id: changes.lastTest.workflowId,
        };
      }
      if (Object.keys(seedFields).length > 0) await generators.updateOne({ _id: id }, { $set: seedFields });
      await settings.updateOne({ _id: id }, { $set: settingsFields }, { upsert: true });
      return get(id);
    },

    /** Removes a generator and its settings; its tasks and logs stay. */
    async remove(id: ObjectId): Promise<boolean> {
      const result = await generators.deleteOne({ _id: id });
      await settings.deleteOne({ _id: id });
      return result.deletedCount === 1;
    },
  };
}

export type GeneratorRepository = ReturnType<typeof createGeneratorRepository>;

function checkGenerator(input: Pick<NewGenerator, 'code' | 'cron' | 'name' | 'timeoutSeconds'>): void {
  if (input.code.trim() === '') throw new RecordValidationError('code', 'the script is empty');
  const bytes = Buffer.byteLength(input.code, 'utf8');
  if (bytes > MAX_GENERATOR_CODE_BYTES) {
    throw new RecordValidationError('code', `the script is ${bytes} bytes; at most ${MAX_GENERATOR_CODE_BYTES}`);
  }
  checkMaxLength('cron', input.cron, 128);
  if (input.name.trim() === '') throw new RecordValidationError('name', 'must not be empty');
  checkMaxLength('name', input.name, 128);
  if (!Number.isInteger(input.timeoutSeconds) || input.timeoutSeconds < 1) {
    throw new RecordValidationError('timeout', 'must be a whole number of seconds, at least 1');
  }
}

/** Defaults for a generator written by the seed's own tools (no settings companion). */
function toGenerator(document: GeneratorDocument, settings: GeneratorSettingsDocument | undefined): Generator {
  return {
    id: document._id,
    job: document.job,
    code: document.code ?? '',
    cron: document.cron ?? null,
    status: document.status,
    addedAt: document.add_datetime,
    name: settings?.name ?? `generator ${document._id.toHexString()}`,
    language: settings?.language ?? GeneratorLanguage.Python,
    priority: settings?.priority ?? GeneratorPriority.Medium,
    timeoutSeconds: settings?.timeout_seconds ?? 300,
    networkAllowed: settings?.network_allowed ?? false,
    filename: settings?.filename ?? null,
    updatedAt: settings?.update_datetime ?? document.add_datetime,
    revision: settings?.revision ?? 1,
    lastTest: settings?.last_test
      ? {
          passed: settings.last_test.passed,
          revision: settings.last_test.revision,
          reason: settings.last_test.reason ?? null,
          testedAt: settings.last_test.test_datetime,
          workflowId: settings.last_test.workflow_id ?? null,
        }
      : null,
  };
}
