/**
 * Keeps the beginning and the end of a stream up to `maxBytes` in all (half each), counting
 * the rest: a Python traceback sits at the end of stderr, the first complaint at its start.
 */
export class CappedOutput {
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  /** Every byte seen, kept or not. */
  total = 0;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    const headRoom = Math.ceil(this.maxBytes / 2) - this.headBytes;
    if (headRoom > 0) {
      const part = chunk.subarray(0, headRoom);
      this.head.push(part);
      this.headBytes += part.length;
      chunk = chunk.subarray(part.length);
    }
    if (chunk.length === 0) return;
    this.tail.push(chunk);
    this.tailBytes += chunk.length;
    const tailRoom = Math.floor(this.maxBytes / 2);
    while (this.tailBytes - (this.tail[0]?.length ?? 0) >= tailRoom && this.tail.length > 1) {
      this.tailBytes -= this.tail.shift()!.length;
    }
  }

  /** The kept text, with a marker where bytes were left out. */
  text(): string {
    const head = Buffer.concat(this.head).toString('utf8');
    let tail = Buffer.concat(this.tail);
    const tailRoom = Math.floor(this.maxBytes / 2);
    if (tail.length > tailRoom) tail = tail.subarray(tail.length - tailRoom);
    const omitted = this.total - this.headBytes - tail.length;
    return omitted > 0 ? `${head}\n… ${omitted} bytes omitted …\n${tail.toString('utf8')}` : head + tail.toString('utf8');
  }
}
