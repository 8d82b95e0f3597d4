import { message } from '../../infra/i18n/i18n';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { IngestInputError, InputProblem } from './errors';

export interface SpooledFile {
  path: string;
  bytes: number;
  /** Removes the file and its private directory; safe to call twice. */
  remove(): Promise<void>;
}

/**
 * Streams an upload (or stdin) to a file in a fresh private temp directory (mode 0700), never
 * holding it in memory and never using the uploaded name as a path. Stops at `maxBytes` with an
 * {@link IngestInputError} before anything is stored, so an oversized input writes nothing.
 */
export async function spoolToTempFile(input: Readable, options: { maxBytes: number; onBytes?: (bytes: number) => void }): Promise<SpooledFile> {
  const dir = await mkdtemp(join(tmpdir(), 'crawlflow-upload-'));
  const path = join(dir, 'upload');
  let bytes = 0;
  let removed = false;
  const remove = async () => {
    if (removed) return;
    removed = true;
    await rm(dir, { recursive: true, force: true });
  };
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > options.maxBytes) {
        callback(new IngestInputError(InputProblem.TooLarge, message('errors.upload_too_large', { max: String(options.maxBytes) })));
        return;
      }
      options.onBytes?.(bytes);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(input, limit, createWriteStream(path, { mode: 0o600 }));
  } catch (error) {
    await remove();
    throw error;
  }
  return { path, bytes, remove };
}
