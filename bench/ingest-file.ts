/**
 * The benchmark's input: a deterministic TXT file of URIs, written as a stream (the generator
 * holds one line at a time, so making a 1M-line file costs the benchmark no memory).
 *
 * Line i (0-based) is
 *  - invalid when i % 100 === 99 (1%): one of five kinds, rotating — scheme not allowed,
 *    whitespace, bad host, no scheme, a bare word;
 *  - a duplicate when i % 10 === 4 (10%): a spelling of an earlier unique line (about i/2 lines
 *    back, so far outside any batch) that normalizes to the same URI — upper-case scheme and
 *    host, the default port, a fragment;
 *  - otherwise a unique URI of about 80 characters on one of 5,000 hosts.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

export interface UriFileCounts {
  lines: number;
  accepted: number;
  duplicate: number;
  invalid: number;
}

const isInvalid = (i: number) => i % 100 === 99;
const isDuplicate = (i: number) => i % 10 === 4;

function uniqueUri(i: number): { scheme: string; host: string; rest: string } {
  return { scheme: 'https', host: `www.site${i % 5000}.example.com`, rest: `/news/${2000 + (i % 25)}/${i}/article-${i}.html?ref=home&page=${i % 7}` };
}

function invalidUri(i: number): string {
  switch (Math.floor(i / 100) % 5) {
    case 0:
      return `ftp://files.example.com/pub/${i}.tar.gz`;
    case 1:
      return `https://www.example.com/a path/${i}`;
    case 2:
      return `https://bad..host${i}.example.com/`;
    case 3:
      return `www.example.com/${i}/no-scheme`;
    default:
      return `not-a-uri-${i}`;
  }
}

/** Line i of the file (without its newline). */
export function uriLine(i: number): string {
  if (isInvalid(i)) return invalidUri(i);
  if (isDuplicate(i)) {
    let j = Math.floor(i / 2);
    while (isInvalid(j) || isDuplicate(j)) j--;
    const { host, rest } = uniqueUri(j);
    return `HTTPS://${host.toUpperCase()}:443${rest}#comments`;
  }
  const { scheme, host, rest } = uniqueUri(i);
  return `${scheme}://${host}${rest}`;
}

/** What ingesting the first `lines` lines must report. */
export function expectedCounts(lines: number): UriFileCounts {
  let invalid = 0;
  let duplicate = 0;
  for (let i = 0; i < lines; i++) {
    if (isInvalid(i)) invalid++;
    else if (isDuplicate(i)) duplicate++;
  }
  return { lines, accepted: lines - invalid - duplicate, duplicate, invalid };
}

/** Writes the first `lines` lines to `path`, streamed, respecting back-pressure. */
export async function writeUriFile(path: string, lines: number): Promise<void> {
  const out = createWriteStream(path);
  const chunk: string[] = [];
  for (let i = 0; i < lines; i++) {
    chunk.push(uriLine(i));
    if (chunk.length === 1000 || i === lines - 1) {
      if (!out.write(`${chunk.join('\n')}\n`)) await once(out, 'drain');
      chunk.length = 0;
    }
  }
  out.end();
  await once(out, 'finish');
}
