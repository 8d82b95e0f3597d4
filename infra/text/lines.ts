import { StringDecoder } from 'node:string_decoder';

/** One line of input: its text, or — when it was too long to keep — its head and full length. */
export type SplitLine =
  | { kind: 'line'; text: string; validUtf8?: false }
  | { kind: 'overlong'; head: string; length: number; validUtf8?: false };

/** A line with its 1-based number, as {@link readLines} yields it. */
export type NumberedLine = SplitLine & { number: number };

/** Which characters end a line. */
export const LineBreaks = {
  /** `\n`; a `\r` right before it is dropped (`\r\n`). A lone `\r` is text. */
  Lf: 'lf',
  /** `\n`, `\r\n` or a lone `\r` (old Mac files, spreadsheets' exports). */
  Any: 'any',
} as const;
export type LineBreaks = (typeof LineBreaks)[keyof typeof LineBreaks];

/** How byte chunks are turned into text (string chunks are taken as already decoded). */
export const ByteDecoding = {
  /** One UTF-8 decoder over the whole stream; invalid bytes become U+FFFD. */
  Utf8: 'utf8',
  /**
   * Each line decoded on its own, so one line of invalid UTF-8 is flagged (`validUtf8: false`)
   * and repaired without damaging its neighbours — which a stream decoder would do silently.
   * Lengths (`maxLineLength`, `head`, `length`) then count bytes, not characters.
   */
  Utf8PerLine: 'utf8-per-line',
} as const;
export type ByteDecoding = (typeof ByteDecoding)[keyof typeof ByteDecoding];

export interface LineSplitterOptions {
  /** @default 'lf' */
  breaks?: LineBreaks;
  /**
   * Characters (UTF-16 units) a line may have; a longer one is reported as `overlong` and never
   * held in memory whole: its head is kept and the rest only counted up to the next line break.
   * @default Infinity
   */
  maxLineLength?: number;
  /** Characters of an overlong line kept as its `head`. @default 200 */
  headChars?: number;
  /** @default 'utf8' */
  decoding?: ByteDecoding;
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });
const lossyUtf8 = new TextDecoder('utf-8');

/**
 * Splits a stream of chunks into lines as they arrive — the one line splitter of crawlflow
 * (script stdout, ingest files, `crawlflow tagger` stdin). A line may span any number of chunks,
 * a `\r\n` may be cut between two; the last line counts even without a final line break.
 */
export class LineSplitter {
  private readonly breaks: LineBreaks;
  private readonly maxLineLength: number;
  private readonly headChars: number;
  private readonly perLine: boolean;
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  /** Characters of the overlong line being skipped, or -1 when not skipping. */
  private skipped = -1;
  private overlongHead = '';
  /** The last chunk ended in `\r` (breaks 'any'): a `\n` opening the next one belongs to it. */
  private afterCr = false;

  constructor(options: LineSplitterOptions = {}) {
    this.breaks = options.breaks ?? LineBreaks.Lf;
    this.maxLineLength = options.maxLineLength ?? Infinity;
    this.headChars = options.headChars ?? 200;
    this.perLine = (options.decoding ?? ByteDecoding.Utf8) === ByteDecoding.Utf8PerLine;
  }

  push(chunk: string | Uint8Array): SplitLine[] {
    if (typeof chunk === 'string') return this.split(chunk);
    // Per-line decoding splits the bytes themselves: latin1 maps each byte to one character
    // losslessly, and UTF-8 never puts \n or \r inside a multi-byte character.
    return this.split(this.perLine ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1') : this.decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
  }

  /** The last line when the stream did not end with a line break. */
  end(): SplitLine[] {
    const lines = this.perLine ? [] : this.split(this.decoder.end());
    if (this.skipped >= 0) lines.push(this.finishOverlong(0));
    else if (this.partial !== '') lines.push(this.line(this.partial));
    this.partial = '';
    return lines;
  }

  private nextBreak(text: string, from: number): number {
    const lf = text.indexOf('\n', from);
    if (this.breaks === LineBreaks.Lf) return lf;
    const cr = text.indexOf('\r', from);
    return cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
  }

  private split(text: string): SplitLine[] {
    const lines: SplitLine[] = [];
    let start = 0;
    if (this.afterCr && text !== '') {
      this.afterCr = false;
      if (text.startsWith('\n')) start = 1;
    }
    for (let at = this.nextBreak(text, start); at !== -1; at = this.nextBreak(text, start)) {
      if (this.skipped >= 0) {
        this.keepHead(text.slice(start, at));
        lines.push(this.finishOverlong(at - start));
      } else {
        const whole = this.partial === '' ? text.slice(start, at) : this.partial + text.slice(start, at);
        this.partial = '';
        lines.push(this.line(whole));
      }
      start = at + 1;
      if (text.charCodeAt(at) === 13) {
        if (text.charCodeAt(start) === 10) start++;
        else if (start === text.length) this.afterCr = true;
      }
    }
    const rest = text.slice(start);
    if (this.skipped >= 0) {
      this.keepHead(rest);
      this.skipped += rest.length;
    } else if (this.partial.length + rest.length > this.maxLineLength + 1) {
      // One character of slack: in 'lf' mode it may be the \r of a \r\n still to come.
      this.overlongHead = (this.partial + rest).slice(0, this.headChars);
      this.skipped = this.partial.length + rest.length;
      this.partial = '';
    } else if (rest !== '') {
      this.partial += rest;
    }
    return lines;
  }

  private line(raw: string): SplitLine {
    const text = this.breaks === LineBreaks.Lf && raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.length > this.maxLineLength) return this.decoded({ kind: 'overlong', head: text.slice(0, this.headChars), length: text.length });
    return this.decoded({ kind: 'line', text });
  }

  private keepHead(text: string): void {
    if (this.overlongHead.length < this.headChars) this.overlongHead += text.slice(0, this.headChars - this.overlongHead.length);
  }

  private finishOverlong(more: number): SplitLine {
    const length = this.skipped + more;
    const head = this.overlongHead;
    this.skipped = -1;
    this.overlongHead = '';
    return this.decoded({ kind: 'overlong', head, length });
  }

  private decoded(line: SplitLine): SplitLine {
    if (!this.perLine) return line;
    const field = line.kind === 'line' ? 'text' : 'head';
    const bytes = Buffer.from(line.kind === 'line' ? line.text : line.head, 'latin1');
    try {
      return { ...line, [field]: fatalUtf8.decode(bytes) };
    } catch {
      return { ...line, [field]: lossyUtf8.decode(bytes), validUtf8: false };
    }
  }
}

/** Every line of a stream (a file, stdin, a decoded text stream), numbered from 1. */
export async function* readLines(source: AsyncIterable<string | Uint8Array>, options: LineSplitterOptions = {}): AsyncGenerator<NumberedLine> {
  const splitter = new LineSplitter(options);
  let number = 0;
  for await (const chunk of source) {
    for (const line of splitter.push(chunk)) yield { ...line, number: ++number };
  }
  for (const line of splitter.end()) yield { ...line, number: ++number };
}
