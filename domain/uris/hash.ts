import { createHash } from 'node:crypto';

/** SHA-256 of a normalized URI (UTF-8), as 64 hex characters: the de-duplication key's hash. */
export function uriHash(normalizedUri: string): string {
  return createHash('sha256').update(normalizedUri, 'utf8').digest('hex');
}
