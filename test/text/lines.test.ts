import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { ByteDecoding, LineBreaks, LineSplitter, readLines, type LineSplitterOptions, type SplitLine } from '../../infra/text/lines';

function splitAll(chunks: Array<string | Buffer>, options: LineSplitterOptions = { maxLineLength: 10 }): SplitLine[] {
  const splitter = new LineSplitter(options);
  const lines = chunks.flatMap((chunk) => splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
  return [...lines, ...splitter.end()];
}

const texts = (lines: SplitLine[]) => lines.map((line) => (line.kind === 'line' ? line.text : `overlong:${line.length}:${line.head.length}`));

describe('line splitting (script stdout: LF or CRLF, UTF-8, capped lines)', () => {
  it('joins lines split across chunks, handles CRLF and a missing final newline', () => {
    assert.deepEqual(splitAll(['ab', 'c\r\nde\n', '', 'f']), [
      { kind: 'line', text: 'abc' },
      { kind: 'line', text: 'de' },
      { kind: 'line', text: 'f' },
    ]);
  });

  it('keeps a lone CR as text and emits no line after a final newline', () => {
    assert.deepEqual(texts(splitAll(['a\rb\n', '\n'])), ['a\rb', '']);
  });

  it('decodes a UTF-8 character split between chunks', () => {
    const bytes = Buffer.from('ü\n');
    assert.deepEqual(splitAll([bytes.subarray(0, 1), bytes.subarray(1)]), [{ kind: 'line', text: 'ü' }]);
  });

  it('reports an overlong line by its head and length without keeping it, inside one chunk or across many', () => {
    assert.deepEqual(splitAll(['x'.repeat(25) + '\nok\n']), [
      { kind: 'overlong', head: 'x'.repeat(25), length: 25 },
      { kind: 'line', text: 'ok' },
    ]);
    assert.deepEqual(texts(splitAll(['y'.repeat(8), 'y'.repeat(8), 'y'.repeat(300), 'y\nnext\n', 'tail-over-ten-chars'])), ['overlong:317:200', 'next', 'overlong:19:19']);
  });

  it('does not count the CR of a CRLF against the limit, even when the LF comes in the next chunk', () => {
    assert.deepEqual(texts(splitAll(['0123456789\r', '\n', '0123456789x\r\n'])), ['0123456789', 'overlong:11:11']);
  });

  it('keeps headChars of an overlong line', () => {
    assert.deepEqual(texts(splitAll(['z'.repeat(50) + '\n'], { maxLineLength: 10, headChars: 5 })), ['overlong:50:5']);
  });

  it('has no limit by default', () => {
    assert.deepEqual(texts(splitAll(['q'.repeat(100_000) + '\n'], {})), ['q'.repeat(100_000)]);
  });
});

describe('line splitting with any line break (ingest files)', () => {
  const any = (chunks: string[], options: LineSplitterOptions = {}) => {
    const splitter = new LineSplitter({ breaks: LineBreaks.Any, ...options });
    return texts([...chunks.flatMap((chunk) => splitter.push(chunk)), ...splitter.end()]);
  };

  it('splits on \\n, \\r\\n and a lone \\r, taking decoded text chunks as they are', () => {
    assert.deepEqual(any(['a\r\nb\rc\nd']), ['a', 'b', 'c', 'd']);
  });

  it('treats a \\r\\n cut between chunks as one break', () => {
    assert.deepEqual(any(['a\r', '\nb\r', '', '\n', 'c\r']), ['a', 'b', 'c']);
  });

  it('keeps the blank line after a \\r\\n (so line numbers stay right)', () => {
    assert.deepEqual(any(['a\r\n\nb']), ['a', '', 'b']);
    assert.deepEqual(any(['a\r\n', '\r\nb']), ['a', '', 'b']);
  });

  it('caps lines at maxLineLength with the head it is asked to keep', () => {
    assert.deepEqual(any(['short\r' + 'w'.repeat(40) + '\rend'], { maxLineLength: 16, headChars: 16 }), ['short', 'overlong:40:16', 'end']);
  });
});

describe('readLines', () => {
  it('numbers the lines of a stream from 1', async () => {
    const lines = [];
    for await (const line of readLines(Readable.from([Buffer.from('a\nb'), Buffer.from('\nc')]))) lines.push(line);
    assert.deepEqual(lines, [
      { kind: 'line', text: 'a', number: 1 },
      { kind: 'line', text: 'b', number: 2 },
      { kind: 'line', text: 'c', number: 3 },
    ]);
  });

  it('decodes each line on its own with utf8-per-line: a bad line is flagged, its neighbours are not', async () => {
    const bytes = Buffer.concat([Buffer.from('ok ü\r\nbad '), Buffer.from([0xff, 0xc3]), Buffer.from('\nfine €\n')]);
    // One byte per chunk: a character split between chunks must not count as invalid.
    const chunks = [...bytes].map((byte) => Buffer.from([byte]));
    const lines = [];
    for await (const line of readLines(Readable.from(chunks), { decoding: ByteDecoding.Utf8PerLine })) lines.push(line);
    assert.deepEqual(lines, [
      { kind: 'line', text: 'ok ü', number: 1 },
      { kind: 'line', text: 'bad \ufffd\ufffd', number: 2, validUtf8: false },
      { kind: 'line', text: 'fine €', number: 3 },
    ]);
  });
});
