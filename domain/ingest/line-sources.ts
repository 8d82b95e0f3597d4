import { format, message, type Message } from '../../infra/i18n/i18n';
import { createReadStream } from 'node:fs';
import { parse as parseCsv, type CsvError } from 'csv-parse';
import iconv from 'iconv-lite';
import { MAX_LOGGED_INPUT_CHARS } from '../../store/ingest-logs';
import { LineBreaks, readLines, type SplitLine } from '../../infra/text/lines';
import { IngestInputError, InputProblem } from './errors';

/** One line of input (a TXT line, the URI cell of a CSV row, one typed string). */
export interface InputLine {
  /** 1-based line (or row) number. */
  line: number;
  /** The text, cut at {@link MAX_LOGGED_INPUT_CHARS} (a longer line is invalid anyway). */
  text: string;
  /** Its full length in UTF-16 units, before any cut. */
  length: number;
  /** Not a URI and not an error: a blank line, an empty cell, a CSV header. */
  skip?: boolean;
  /** The input itself is malformed here (a broken CSV row): goes to the error log as is. */
  problem?: { code: string; reason: string; reasonMessage?: Message };
}

/** Lines plus how far through the input they are (for progress). */
export interface LineSource {
  lines: AsyncIterable<InputLine>;
  bytesRead(): number;
  totalBytes: number | null;
}

/** A typed list (the page's text box, `--uri` …): one string per line. */
export function listSource(strings: readonly string[]): LineSource {
  let bytes = 0;
  const total = strings.reduce((sum, text) => sum + Buffer.byteLength(text) + 1, 0);
  return {
    totalBytes: total,
    bytesRead: () => bytes,
    lines: (async function* () {
      for (const [index, text] of strings.entries()) {
        bytes += Buffer.byteLength(text) + 1;
        yield cut({ line: index + 1, text, length: text.length, skip: text.trim() === '' });
      }
    })(),
  };
}

/** A line from the line splitter (a file, a script's stdout) as the task writer takes it: an overlong one by its head and real length. */
export function inputLine(number: number, line: SplitLine): InputLine {
  const text = line.kind === 'line' ? line.text : line.head;
  return { line: number, text, length: line.kind === 'line' ? text.length : line.length, skip: text.trim() === '' };
}

function cut(line: InputLine): InputLine {
  return line.text.length > MAX_LOGGED_INPUT_CHARS ? { ...line, text: line.text.slice(0, MAX_LOGGED_INPUT_CHARS) } : line;
}

/** Decoded text chunks of a file, counting raw bytes as they are read. */
function decodedChunks(path: string, encoding: string, counter: { bytes: number }): NodeJS.ReadableStream {
  // Small reads keep progress (bytes read) close to lines handled.
  const raw = createReadStream(path, { highWaterMark: 64 * 1024 });
  raw.on('data', (chunk) => {
    counter.bytes += chunk.length;
  });
  // iconv-lite strips a BOM and joins multi-byte characters split across chunks.
  return raw.pipe(iconv.decodeStream(encoding));
}

/** A TXT file: one URI per line (\n, \r\n or \r), streamed; memory stays flat whatever its size. */
export function textFileSource(path: string, options: { encoding: string; totalBytes: number }): LineSource {
  const counter = { bytes: 0 };
  return {
    totalBytes: options.totalBytes,
    bytesRead: () => counter.bytes,
    lines: (async function* () {
      // A longer line is invalid anyway: only what the logs keep of it is held, plus its real length.
      const lines = readLines(decodedChunks(path, options.encoding, counter) as AsyncIterable<string>, {
        breaks: LineBreaks.Any,
        maxLineLength: MAX_LOGGED_INPUT_CHARS,
        headChars: MAX_LOGGED_INPUT_CHARS,
      });
      for await (const line of lines) yield inputLine(line.number, line);
    })(),
  };
}

/** How a CSV's URI column is chosen. */
export interface CsvOptions {
  /**
   * A header name (case-insensitive) or a 1-based column number.
   * @default the column headed uri, url, link or href; else the first column
   */
  column?: string | undefined;
  /** Whether the first row is a header. @default auto: yes when its URI cell holds no "://" */
  header?: boolean | undefined;
  /** @default detected from the first line: the most frequent of , ; tab | */
  delimiter?: string | undefined;
}

const URI_HEADERS = ['uri', 'url', 'link', 'href', 'urls', 'uris'];

/** The delimiter a CSV's first line most likely uses. */
export function guessDelimiter(firstLine: string): string {
  const unquoted = firstLine.replace(/"[^"]*"/g, '');
  let best = ',';
  let bestCount = 0;
  for (const candidate of [',', ';', '\t', '|']) {
    const count = unquoted.split(candidate).length - 1;
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
    }
  }
  return best;
}

/**
 * A CSV file: the URI column of each row, streamed. A malformed row (an unclosed quote, a
 * record over 64 KiB) becomes a `problem` line and parsing goes on. A column that does not
 * exist is an {@link IngestInputError} on the first row, before anything is stored.
 */
export function csvFileSource(path: string, options: CsvOptions & { encoding: string; totalBytes: number; firstLine: string }): LineSource {
  const counter = { bytes: 0 };
  const delimiter = options.delimiter ?? guessDelimiter(options.firstLine);
  const wanted = options.column?.trim();
  const columnNumber = wanted && /^\d+$/.test(wanted) ? Number(wanted) : undefined;
  if (columnNumber === 0) throw new IngestInputError(InputProblem.BadColumn, message('errors.column_zero'));
  return {
    totalBytes: options.totalBytes,
    bytesRead: () => counter.bytes,
    lines: (async function* () {
      const skipped: InputLine[] = [];
      const parser = parseCsv({
        delimiter,
        bom: true,
        info: true,
        relax_column_count: true,
        relax_quotes: true,
        skip_empty_lines: true,
        skip_records_with_error: true,
        max_record_size: 64 * 1024,
        on_skip: (error: CsvError | undefined) => {
          if (!error) return;
          const line = Number((error as CsvError & { lines?: number }).lines ?? 0);
          skipped.push({ line, text: '', length: 0, problem: problem('csv_error', message('receipt.csv.malformed', { detail: error.message })) });
        },
      });
      decodedChunks(path, options.encoding, counter).pipe(parser);
      let index: number | undefined;
      let first = true;
      for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
        while (skipped.length > 0) yield skipped.shift()!;
        if (first) {
          first = false;
          const chosen = chooseColumn(record, wanted, columnNumber, options.header);
          index = chosen.index;
          if (chosen.header) {
            yield { line: info.lines, text: record.join(delimiter), length: 0, skip: true };
            continue;
          }
        }
        const cell = record[index!];
        if (cell === undefined) {
          yield {
            line: info.lines,
            text: record.join(delimiter).slice(0, MAX_LOGGED_INPUT_CHARS),
            length: 0,
            problem: problem('csv_error', message('receipt.csv.short_row', { columns: record.length, column: String(index! + 1) })),
          };
          continue;
        }
        yield cut({ line: info.lines, text: cell, length: cell.length, skip: cell.trim() === '' });
      }
      while (skipped.length > 0) yield skipped.shift()!;
    })(),
  };
}

function chooseColumn(first: string[], wanted: string | undefined, columnNumber: number | undefined, header: boolean | undefined): { index: number; header: boolean } {
  const names = first.map((cell) => cell.trim().toLowerCase());
  if (wanted !== undefined && wanted !== '' && columnNumber === undefined) {
    const index = names.indexOf(wanted.toLowerCase());
    if (header === false) throw new IngestInputError(InputProblem.BadColumn, message('errors.column_name_without_header', { column: wanted }));
    if (index < 0) {
      throw new IngestInputError(InputProblem.BadColumn, message('errors.no_such_column', { column: wanted, columns: first.map((cell) => JSON.stringify(cell.trim())).join(', ') }));
    }
    return { index, header: true };
  }
  const index = columnNumber !== undefined ? columnNumber - 1 : 0;
  if (columnNumber !== undefined && index >= first.length) {
    throw new IngestInputError(InputProblem.BadColumn, message('errors.column_missing', { column: String(columnNumber), count: first.length }));
  }
  if (columnNumber === undefined) {
    const named = names.findIndex((name) => URI_HEADERS.includes(name));
    if (named >= 0 && header !== false) return { index: named, header: true };
  }
  return { index, header: header ?? !(first[index] ?? '').includes('://') };
}

function problem(code: string, reasonMessage: Message): { code: string; reason: string; reasonMessage: Message } {
  return { code, reason: format('en', reasonMessage.key, reasonMessage.params), reasonMessage };
}
