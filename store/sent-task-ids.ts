import type { ObjectId } from 'mongodb';

/** Bits per expected id: with 7 probes, about one false "maybe" in 1,700 at the expected count. */
const BITS_PER_ID = 16;
const PROBES = 7;
const MIN_BITS = 2 ** 13;
/** 8 MiB: the filter's memory is bounded whatever the input size (it only gets less sharp). */
const MAX_BITS = 2 ** 26;

const MIN_SLOTS = 2 ** 10;
/**
 * 12 MiB: the exact set holds up to 786,432 ids (¾ full) — every distinct URI of an upload at
 * the default 50 MiB limit. Past that it stops growing; later repeats are left to the database.
 */
const MAX_SLOTS = 2 ** 20;
const MAX_LOAD = 0.75;

/**
 * What one writer (an ingest, a generator run) knows about the task ids it has sent, in bounded
 * memory however many URIs go through:
 *
 * - a Bloom filter of every id sent: "certainly never sent" or "maybe sent". A "maybe" only routes
 *   the document to a separate, small insert, where the unique `_id` still decides;
 * - an exact set (up to {@link MAX_SLOTS}) of ids this writer *saw stored* — inserted, or refused
 *   by the `_id` index because the task was already there. Crawler tasks are never deleted, so
 *   such an id is certainly a duplicate now: no write needed to say so, and never a false one.
 *
 * Why it matters: FerretDB (SQLite) inserts a batch quickly only when no document in it is
 * refused; one duplicate sends the whole batch down a path several times slower (docs/ingest.md).
 * Task ids are 12 bytes of SHA-256 (`crawlerTaskId`), uniformly spread, so their bytes serve as
 * the hash directly.
 */
export interface SentTaskIds {
  /** False when `id` was certainly never added; true when it probably was. */
  mightHave(id: ObjectId): boolean;
  add(id: ObjectId): void;
  /** True only when {@link markStored} was called with `id` (exact; false when not remembered). */
  isKnownStored(id: ObjectId): boolean;
  /** The task `id` is in the database (this writer inserted it, or the `_id` index refused it). */
  markStored(id: ObjectId): void;
}

/** @param expectedIds how many ids will be added, roughly (sizes both parts, within their caps). */
export function createSentTaskIds(expectedIds: number): SentTaskIds {
  return { ...bloomFilter(expectedIds), ...exactSet(expectedIds) };
}

function word(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}

function bloomFilter(expectedIds: number): Pick<SentTaskIds, 'mightHave' | 'add'> {
  let bits = MIN_BITS;
  while (bits < expectedIds * BITS_PER_ID && bits < MAX_BITS) bits *= 2;
  const words = new Uint32Array(bits / 32);
  const mask = bits - 1;

  // Double hashing over two 32-bit words of the id; h2 odd, so probes never repeat a position.
  function probes(id: ObjectId, visit: (bit: number) => boolean): boolean {
    const h1 = word(id.id, 0);
    const h2 = (word(id.id, 4) | 1) >>> 0;
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

/** Open addressing (linear probing) over three 32-bit words per id; all-zero marks an empty slot. */
function exactSet(expectedIds: number): Pick<SentTaskIds, 'isKnownStored' | 'markStored'> {
  let slots = MIN_SLOTS;
  while (slots * MAX_LOAD < expectedIds && slots < MAX_SLOTS) slots *= 2;
  const table = new Uint32Array(slots * 3);
  const mask = slots - 1;
  const limit = Math.floor(slots * MAX_LOAD);
  let size = 0;

  /** The slot holding `id`, or the empty slot where it would go. */
  function find(a: number, b: number, c: number): number {
    let slot = (a ^ c) & mask;
    for (;;) {
      const at = slot * 3;
      const x = table[at]!;
      const y = table[at + 1]!;
      const z = table[at + 2]!;
      if ((x === a && y === b && z === c) || (x === 0 && y === 0 && z === 0)) return slot;
      slot = (slot + 1) & mask;
    }
  }

  return {
    isKnownStored(id) {
      const [a, b, c] = [word(id.id, 0), word(id.id, 4), word(id.id, 8)];
      if (a === 0 && b === 0 && c === 0) return false;
      const at = find(a, b, c) * 3;
      return table[at] === a && table[at + 1] === b && table[at + 2] === c;
    },
    markStored(id) {
      const [a, b, c] = [word(id.id, 0), word(id.id, 4), word(id.id, 8)];
      // The all-zero id cannot be told from an empty slot: never remembered (left to the database).
      if (size >= limit || (a === 0 && b === 0 && c === 0)) return;
      const at = find(a, b, c) * 3;
      if (table[at] === 0 && table[at + 1] === 0 && table[at + 2] === 0) {
        table[at] = a;
        table[at + 1] = b;
        table[at + 2] = c;
        size++;
      }
    },
  };
}
