import { MongoServerError, ObjectId, type Db, type IndexDescription } from 'mongodb';
import { Collection } from './collections';
import type { GeneratorLanguage } from './generators';

/**
 * `crawler_task_generator_revision`: each code a generator has had. The seed's generator
 * document holds only the current `code`; replacing it keeps the old one here, and every run
 * log records the revision that ran (`extra.revision`), so a run can be traced to its code.
 */
export interface GeneratorRevisionDocument {
  _id: ObjectId;
  task_generator: ObjectId;
  revision: number;
  code: string;
  language: GeneratorLanguage;
  filename: string | null;
  add_datetime: Date;
}

export interface GeneratorRevision {
  generator: ObjectId;
  revision: number;
  code: string;
  language: GeneratorLanguage;
  filename: string | null;
  addedAt: Date;
}

export const GENERATOR_REVISION_INDEXES: Record<string, IndexDescription[]> = {
  [Collection.GeneratorRevision]: [{ key: { task_generator: 1, revision: -1 }, name: 'generator_revision', unique: true }],
};

export function createGeneratorRevisionRepository(db: Db) {
  const revisions = db.collection<GeneratorRevisionDocument>(Collection.GeneratorRevision);

  return {
    /**
     * Keeps one revision. Idempotent for the same generator and number (a second write of
     * revision N is ignored), so the uploaded code can be kept lazily, on its first replacement.
     * Returns false when that revision was already there.
     */
    async keep(revision: Omit<GeneratorRevision, 'addedAt'> & { addedAt?: Date }): Promise<boolean> {
      try {
        await revisions.insertOne({
          _id: new ObjectId(),
          task_generator: revision.generator,
          revision: revision.revision,
          code: revision.code,
          language: revision.language,
          filename: revision.filename,
          add_datetime: revision.addedAt ?? new Date(),
        });
        return true;
      } catch (error) {
        if (error instanceof MongoServerError && error.code === 11000) return false;
        throw error;
      }
    },

    /** One generator's revisions, newest first, without their code. */
    async list(generator: ObjectId, limit = 100): Promise<Array<Omit<GeneratorRevision, 'code'> & { codeBytes: number }>> {
      const documents = await revisions
        .find({ task_generator: generator })
        .sort({ revision: -1 })
        .limit(Math.min(Math.max(limit, 1), 500))
        .toArray();
      return documents.map((document) => {
        const { code, ...rest } = toRevision(document);
        return { ...rest, codeBytes: Buffer.byteLength(code) };
      });
    },

    async get(generator: ObjectId, revision: number): Promise<GeneratorRevision | null> {
      const document = await revisions.findOne({ task_generator: generator, revision });
      return document ? toRevision(document) : null;
    },
  };
}

export type GeneratorRevisionRepository = ReturnType<typeof createGeneratorRevisionRepository>;

function toRevision(document: GeneratorRevisionDocument): GeneratorRevision {
  return {
    generator: document.task_generator,
    revision: document.revision,
    code: document.code,
    language: document.language,
    filename: document.filename ?? null,
    addedAt: document.add_datetime,
  };
}
