import { message } from '../../infra/i18n/i18n';
import { open } from 'node:fs/promises';
import chardet from 'chardet';
import iconv from 'iconv-lite';
import { IngestInputError, InputProblem } from './errors';

/** How much of a file is sniffed for its encoding and for binary content. */
export const PROBE_BYTES = 64 * 1024;

export interface FileProbe {
  size: number;
  /** An iconv-lite encoding name. */
  encoding: string;
  /** How the encoding was decided. */
  encodingSource: 'stated' | 'bom' | 'utf-8' | 'detected' | 'fallback';
  /** The first line of the sample, decoded (for a CSV's delimiter). */
  firstLine: string;
}

const MAGIC: Array<[string, number[]]> = [
  ['a ZIP archive (or an Excel/Word file)', [0x50, 0x4b, 0x03, 0x04]],
  ['a PDF document', [0x25, 0x50, 0x44, 0x46]],
  ['a PNG image', [0x89, 0x50, 0x4e, 0x47]],
  ['a GIF image', [0x47, 0x49, 0x46, 0x38]],
  ['a JPEG image', [0xff, 0xd8, 0xff]],
  ['a gzip archive', [0x1f, 0x8b]],
  ['an executable (ELF)', [0x7f, 0x45, 0x4c, 0x46]],
  ['an old Office document', [0xd0, 0xcf, 0x11, 0xe0]],
];

/**
 * Looks at the start of a file before anything is stored: refuses empty, oversized and binary
 * files, and decides the encoding — the stated one, else a BOM, else UTF-8 when the sample is
 * valid UTF-8, else chardet's guess (GB18030, Big5, Shift_JIS, windows-1252, …).
 */
export async function probeFile(path: string, options: { maxBytes: number; encoding?: string | undefined }): Promise<FileProbe> {
  const handle = await open(path, 'r');
  let sample: Buffer;
  let size: number;
  try {
    size = (await handle.stat()).size;
    sample = Buffer.alloc(Math.min(size, PROBE_BYTES));
    await handle.read(sample, 0, sample.length, 0);
  } finally {
    await handle.close();
  }
  if (size === 0) throw new IngestInputError(InputProblem.Empty, message('errors.file_empty'));
  if (size > options.maxBytes) {
    throw new IngestInputError(InputProblem.TooLarge, message('errors.file_too_large', { size: String(size), max: String(options.maxBytes) }));
  }
  return { size, ...probeSample(sample, options.encoding) };
}

/** {@link probeFile} on bytes already in memory. */
export function probeSample(sample: Buffer, statedEncoding?: string): Omit<FileProbe, 'size'> {
  const bom = bomEncoding(sample);
  let encoding: string;
  let encodingSource: FileProbe['encodingSource'];
  if (statedEncoding !== undefined && statedEncoding.trim() !== '') {
    if (!iconv.encodingExists(statedEncoding.trim())) {
      throw new IngestInputError(InputProblem.BadEncoding, message('errors.unknown_encoding', { encoding: statedEncoding }));
    }
    encoding = statedEncoding.trim().toLowerCase();
    encodingSource = 'stated';
  } else if (bom) {
    encoding = bom;
    encodingSource = 'bom';
  } else {
    encoding = '';
    encodingSource = 'fallback';
  }
  const wide = /^utf-?(16|32)/i.test(encoding);
  if (!wide) {
    const kind = binaryKind(sample);
    if (kind) throw new IngestInputError(InputProblem.BinaryFile, message('errors.binary_file', { kind }));
  }
  if (encoding === '') {
    if (isUtf8(sample)) {
      encoding = 'utf-8';
      encodingSource = 'utf-8';
    } else {
      const guess = chardet.detect(sample);
      if (guess && iconv.encodingExists(guess) && !/^utf-?(16|32)/i.test(guess)) {
        encoding = guess.toLowerCase();
        encodingSource = 'detected';
      } else {
        encoding = 'windows-1252';
        encodingSource = 'fallback';
      }
    }
  }
  const decoded = iconv.decode(sample, encoding);
  if (decoded.replace(/^\uFEFF/, '').trim() === '' && sample.length < PROBE_BYTES) {
    throw new IngestInputError(InputProblem.Empty, message('errors.file_blank'));
  }
  const firstLine = decoded.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/, 1)[0] ?? '';
  return { encoding, encodingSource, firstLine };
}

function bomEncoding(sample: Buffer): string | null {
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) return 'utf-8';
  if (sample[0] === 0xff && sample[1] === 0xfe) return sample[2] === 0 && sample[3] === 0 ? 'utf-32le' : 'utf-16le';
  if (sample[0] === 0xfe && sample[1] === 0xff) return 'utf-16be';
  if (sample[0] === 0 && sample[1] === 0 && sample[2] === 0xfe && sample[3] === 0xff) return 'utf-32be';
  return null;
}

/** What kind of binary file this is, or null when it looks like text. */
export function binaryKind(sample: Buffer): string | null {
  for (const [kind, magic] of MAGIC) {
    if (magic.every((byte, index) => sample[index] === byte)) return kind;
  }
  let control = 0;
  for (const byte of sample) {
    if (byte === 0) return 'it contains NUL bytes';
    if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x0c) || byte === 0x7f) control++;
  }
  return control > sample.length / 100 ? 'more than 1% control characters' : null;
}

/** Valid UTF-8, forgiving a multi-byte sequence cut at the sample's end. */
export function isUtf8(sample: Buffer): boolean {
  let end = sample.length;
  // Back off an incomplete trailing sequence (at most 3 continuation bytes + its lead byte).
  for (let back = 1; back <= Math.min(4, end); back++) {
    const byte = sample[end - back]!;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte
    if (byte >= 0xc0) {
      const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
      if (needed > back) end -= back;
    }
    break;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample.subarray(0, end));
    return true;
  } catch {
    return false;
  }
}
