import type { ObjectId } from 'mongodb';

/** Bits per expected id: with 7 probes, about one false "maybe" in 1,700 at the expected count. */
const BITS_PER_ID = 16;
const PROBES = 7;
const MIN_BITS = 2 ** 13;
/** 8 MiB: the filter's memory is bounded whatever the input size (it only gets less sharp). */
const MAX_BITS = 2 ** 26;

/**
 * The task ids one writer (an ingest, a generator run) has already sent to the database: a
 * Bloom filter of fixed size, so memory stays flat however many URIs go through. It answers
 * "certainly not sent" or "maybe sent" — never "duplicate": a "maybe" only routes the document
 * to a separate insert, and the unique `_id` still decides (see `insertNew`). Why it matters:
 * FerretDB (SQLite) inserts a batch in one statement only when no document in it is refused;
 * one duplicate makes it retry the batch one document at a time, several times slower.
 *
 * Task ids are 12 bytes of SHA-256 (`crawlerTaskId`), uniformly spread, so their bytes serve as
 * the hash directly (double hashing over two 32-bit words).
 */
export interface SentTaskIds {
  /** False when `id` was certainly never added; true when it probably was. */
  mightHave(id: ObjectId): boolean;
  add(id: ObjectId): void;
}

/** @param expectedIds how many ids will be added, roughly (sizes the filter; clamped to 8 MiB). */
export function createSentTaskIds(expectedIds: number): SentTaskIds {
  let bits = MIN_BITS;
  while (bits < expectedIds * BITS_PER_ID && bits < MAX_BITS) bits *= 2;
  const words = new Uint32Array(bits / 32);
  const mask = bits - 1;

  function probes(id: ObjectId, visit: (bit: number) => boolean): boolean {
    const bytes = id.id;
    const h1 = (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0;
    // Odd, so successive probes never repeat a position of the power-of-two table.
    const h2 = (bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! << 24) | 1) >>> 0;
    for (let probe = 0; probe < PROBES; probe++) {
      if (!visit((h1 + Math.imul(probe, h2)) & mask)) return false;
    }
    return true;
  }

  return {
    mightHave: (id) => probes(id, (bit) => (words[bit >>> 5]! & (1 << (bit & 31))) !== 0),
    add(id) {
      probes(id, (bit) => {
        words[bit >>> 5]! |= 1 << (bit & 31);
        return true;
      });
    },
  };
}
