/**
 * An in-memory blocking index: blocking key → the people filed under it. The matching threads hold a
 * roster in one (loaded from the database); Elasticsearch keeps its own; tests and benchmarks use it too.
 *
 * A roster of 100,000 people has ~600,000 keys, and a batch looks up ~6 keys a person at random places, so
 * the layout is about memory traffic: keys are never written out as strings (each would be allocated,
 * hashed and compared once more against a stored copy), but hashed from their parts into 64 bits, and the
 * table and the people filed under each key live in flat typed arrays, outside the garbage-collected heap.
 * A lookup touches one slot and then the entries of its block. Two different keys sharing all 64 bits would
 * only add a candidate (which is then scored like any other); at 600,000 keys the chance is ~10⁻⁸.
 */

import type { Candidate } from './match';
import { type BlockingKeyKind, eachBlockingKey, type NormalizedPerson } from './normalize';

/** Blocks larger than this are skipped when looking up: a key shared by that many people proves nothing. */
export const MAX_BLOCK_SIZE = 500;

// The 64-bit hash of the key being looked at, as two 32-bit halves (FNV-1a and a multiply–xorshift, each
// finished with MurmurHash3's mix), over the same characters as the key written out: `kind:part:part…`.
let hashA = 0;
let hashB = 0;
const COLON = 58;

function hashText(text: string): void {
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    hashA = Math.imul(hashA ^ c, 0x01000193);
    hashB = Math.imul(hashB ^ c, 0x5bd1e995);
    hashB ^= hashB >>> 13;
  }
}

function finish(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function hashPart(part: string): void {
  hashA = Math.imul(hashA ^ COLON, 0x01000193);
  hashB = Math.imul(hashB ^ COLON, 0x5bd1e995);
  hashText(part);
}

function hashKey(kind: string, a: string, b: string | undefined, c: string | undefined): void {
  hashA = 0x811c9dc5;
  hashB = 0x9747b28c;
  hashText(kind);
  hashPart(a);
  if (b !== undefined) hashPart(b);
  if (c !== undefined) hashPart(c);
  hashA = finish(hashA);
  hashB = finish(hashB);
}

// A slot is four 32-bit numbers: the key's two hash halves, its first entry and its entry count (0: free).
const SLOT = 4;
const HEAD = 2;
const COUNT = 3;
const NONE = -1;

export class MemoryIndex {
  private readonly people: NormalizedPerson[] = [];
  private slots = new Int32Array(1024 * SLOT);
  /** Each block's last entry, so that members are appended (candidates come in filing order). */
  private tails = new Int32Array(1024);
  private keyCount = 0;
  /** Per entry: the person (index in `people`) and the block's next entry. */
  private entryPerson = new Int32Array(4096);
  private entryNext = new Int32Array(4096);
  private entryCount = 0;
  /** Per person: the lookup that last found them, and where in that lookup's candidates they are. */
  private seenBy = new Int32Array(1024);
  private seenAt = new Int32Array(1024);
  private lookups = 0;

  add(person: NormalizedPerson): void {
    const index = this.people.push(person) - 1;
    if (index >= this.seenBy.length) {
      this.seenBy = grow(this.seenBy, index * 2);
      this.seenAt = grow(this.seenAt, index * 2);
    }
    eachBlockingKey(person, (kind, a, b, c) => {
      hashKey(kind, a, b, c);
      this.file(index);
    });
  }

  candidates(query: NormalizedPerson): Candidate[] {
    const found: Candidate[] = [];
    const lookup = (this.lookups = (this.lookups + 1) | 0) || this.restartLookups();
    const { slots, entryPerson, entryNext, seenBy, seenAt, people } = this;
    eachBlockingKey(query, (kind: BlockingKeyKind, a, b, c) => {
      hashKey(kind, a, b, c);
      const slot = this.find();
      if (slots[slot + COUNT] === 0 || slots[slot + COUNT] > MAX_BLOCK_SIZE) return;
      for (let entry = slots[slot + HEAD]; entry !== NONE; entry = entryNext[entry]) {
        const person = entryPerson[entry];
        if (seenBy[person] === lookup) {
          found[seenAt[person]].kinds.push(kind);
        } else {
          seenBy[person] = lookup;
          seenAt[person] = found.length;
          found.push({ person: people[person], kinds: [kind] });
        }
      }
    });
    return found;
  }

  /** The slot of the key hashed last: its own, or the free slot where it would go. */
  private find(): number {
    const mask = this.slots.length / SLOT - 1;
    for (let position = hashA & mask; ; position = (position + 1) & mask) {
      const slot = position * SLOT;
      if (this.slots[slot + COUNT] === 0 || (this.slots[slot] === hashA && this.slots[slot + 1] === hashB)) return slot;
    }
  }

  /** Files the person under the key hashed last. */
  private file(person: number): void {
    if (this.entryCount === this.entryPerson.length) {
      this.entryPerson = grow(this.entryPerson, this.entryCount * 2);
      this.entryNext = grow(this.entryNext, this.entryCount * 2);
    }
    const entry = this.entryCount++;
    this.entryPerson[entry] = person;
    this.entryNext[entry] = NONE;
    let slot = this.find();
    if (this.slots[slot + COUNT] === 0) {
      if ((this.keyCount + 1) * 2 > this.slots.length / SLOT) {
        this.rehash();
        slot = this.find();
      }
      this.keyCount += 1;
      this.slots[slot] = hashA;
      this.slots[slot + 1] = hashB;
      this.slots[slot + HEAD] = entry;
    } else {
      this.entryNext[this.tails[slot / SLOT]] = entry;
    }
    this.slots[slot + COUNT] += 1;
    this.tails[slot / SLOT] = entry;
  }

  /** Doubles the table (kept at most half full, so that probes stay short). */
  private rehash(): void {
    const old = this.slots;
    const oldTails = this.tails;
    this.slots = new Int32Array(old.length * 2);
    this.tails = new Int32Array(oldTails.length * 2);
    const mask = this.slots.length / SLOT - 1;
    for (let slot = 0; slot < old.length; slot += SLOT) {
      if (old[slot + COUNT] === 0) continue;
      let position = old[slot] & mask;
      while (this.slots[position * SLOT + COUNT] !== 0) position = (position + 1) & mask;
      this.slots.set(old.subarray(slot, slot + SLOT), position * SLOT);
      this.tails[position] = oldTails[slot / SLOT];
    }
  }

  /** After 2³² lookups the counter comes back to 0: forget who was seen by which. */
  private restartLookups(): number {
    this.seenBy.fill(0);
    this.lookups = 1;
    return 1;
  }
}

function grow(array: Int32Array, length: number) {
  const grown = new Int32Array(Math.max(length, 16));
  grown.set(array);
  return grown;
}
