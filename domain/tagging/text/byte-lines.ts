import type { Readable } from 'node:stream';

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });
const lossyUtf8 = new TextDecoder('utf-8');

/** One line of a byte stream, decoded. */
export interface DecodedLine {
  /** 1-based. */
  number: number;
  text: string;
  /** False when the bytes were not valid UTF-8 and invalid sequences became U+FFFD. */
  validUtf8: boolean;
}

/**
 * Splits a byte stream on `\n` and decodes each line on its own, so one line of invalid
 * UTF-8 is flagged (and repaired) without hiding or damaging its neighbours — which a
 * decoding stream (readline, setEncoding) would do silently.
 */
export async function* readByteLines(stream: Readable): AsyncGenerator<DecodedLine> {
  let pending: Buffer[] = [];
  let number = 0;
  const decode = (bytes: Buffer): DecodedLine => {
    number++;
    const line = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.subarray(0, -1) : bytes;
    try {
      return { number, text: fatalUtf8.decode(line), validUtf8: true };
    } catch {
      return { number, text: lossyUtf8.decode(line), validUtf8: false };
    }
  };
  for await (const chunk of stream) {
    let buffer = chunk as Buffer;
    let newline = buffer.indexOf(0x0a);
    while (newline >= 0) {
      pending.push(buffer.subarray(0, newline));
      yield decode(Buffer.concat(pending));
      pending = [];
      buffer = buffer.subarray(newline + 1);
      newline = buffer.indexOf(0x0a);
    }
    if (buffer.length > 0) pending.push(buffer);
  }
  if (pending.length > 0) yield decode(Buffer.concat(pending));
}
