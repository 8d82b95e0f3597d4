import { StringDecoder } from 'node:string_decoder';

/** One line of a script's stdout: text, or a line too long to keep (only its head is). */
export type ScriptLine = { kind: 'line'; text: string } | { kind: 'overlong'; head: string; length: number };

const HEAD_CHARS = 200;

/**
 * Splits a byte stream into lines (LF or CRLF) as chunks arrive, decoding UTF-8 (invalid bytes
 * become U+FFFD). A line longer than `maxLineLength` characters is never held in memory: its
 * first characters are kept and the rest is skipped up to the next newline.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  /** Characters of the overlong line being skipped, or -1 when not skipping. */
  private skipped = -1;
  private overlongHead = '';

  constructor(private readonly maxLineLength: number) {}

  push(chunk: Buffer): ScriptLine[] {
    return this.split(this.decoder.write(chunk));
  }

  /** The last line when the stream did not end with a newline. */
  end(): ScriptLine[] {
    const lines = this.split(this.decoder.end());
    if (this.skipped >= 0) lines.push(this.finishOverlong(0));
    else if (this.partial !== '') lines.push(line(this.partial));
    this.partial = '';
    return lines;
  }

  private split(text: string): ScriptLine[] {
    const lines: ScriptLine[] = [];
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      if (this.skipped >= 0) {
        this.keepHead(text.slice(start, newline));
        lines.push(this.finishOverlong(newline - start));
      } else {
        const text_ = this.partial === '' ? text.slice(start, newline) : this.partial + text.slice(start, newline);
        this.partial = '';
        lines.push(text_.length > this.maxLineLength ? overlong(text_) : line(text_));
      }
      start = newline + 1;
    }
    const rest = text.slice(start);
    if (this.skipped >= 0) {
      this.keepHead(rest);
      this.skipped += rest.length;
    } else if (this.partial.length + rest.length > this.maxLineLength) {
      this.overlongHead = (this.partial + rest).slice(0, HEAD_CHARS);
      this.skipped = this.partial.length + rest.length;
      this.partial = '';
    } else if (rest !== '') {
      this.partial += rest;
    }
    return lines;
  }

  private keepHead(text: string): void {
    if (this.overlongHead.length < HEAD_CHARS) this.overlongHead += text.slice(0, HEAD_CHARS - this.overlongHead.length);
  }

  private finishOverlong(more: number): ScriptLine {
    const result: ScriptLine = { kind: 'overlong', head: this.overlongHead, length: this.skipped + more };
    this.skipped = -1;
    this.overlongHead = '';
    return result;
  }
}

function line(text: string): ScriptLine {
  return { kind: 'line', text: text.endsWith('\r') ? text.slice(0, -1) : text };
}

function overlong(text: string): ScriptLine {
  return { kind: 'overlong', head: text.slice(0, HEAD_CHARS), length: text.length };
}
