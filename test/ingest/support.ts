import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Db } from 'mongodb';
import { Collection } from '../../store/collections';

export const FIXTURES = resolve(__dirname, '..', 'fixtures', 'ingest');

/** A private temp directory for files a test writes; `cleanup()` removes it. */
export function tempFiles(): { write(name: string, content: string | Buffer): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'crawlflow-ingest-test-'));
  return {
    write(name, content) {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Documents in every collection a submission may write (to prove a rejection wrote nothing). */
export async function writtenCounts(db: Db): Promise<Record<string, number>> {
  const names = [
    Collection.CrawlerTask,
    Collection.CrawlerTaskSource,
    Collection.CrawlerTaskGenerator,
    Collection.GeneratorSettings,
    Collection.IngestRun,
    Collection.ErrorLog,
    Collection.FailureLog,
  ];
  const counts = await Promise.all(names.map((name) => db.collection(name).countDocuments({})));
  return Object.fromEntries(names.map((name, index) => [name, counts[index]!]));
}
