/**
 * An in-memory blocking index: key → the people filed under it. The services keep their index in the
 * database (or Elasticsearch); this one serves tests, benchmarks and small rosters, with the same rules.
 */
import { blockingKeys, type NormalizedPerson } from './normalize';
import type { Candidate } from './match';

/** Blocks larger than this are skipped when looking up: a key shared by that many people proves nothing. */
export const MAX_BLOCK_SIZE = 500;

export class MemoryIndex {
  private readonly blocks = new Map<string, NormalizedPerson[]>();

  add(person: NormalizedPerson): void {
    this.addUnderKeys(person, blockingKeys(person));
  }

  /** Files a person under keys computed earlier (e.g. stored with a roster member). */
  addUnderKeys(person: NormalizedPerson, keys: readonly string[]): void {
    for (const key of keys) {
      const block = this.blocks.get(key);
      if (block) block.push(person);
      else this.blocks.set(key, [person]);
    }
  }

  candidates(query: NormalizedPerson): Candidate[] {
    const found = new Map<string, Candidate>();
    for (const key of blockingKeys(query)) {
      const block = this.blocks.get(key);
      if (!block || block.length > MAX_BLOCK_SIZE) continue;
      for (const person of block) {
        const candidate = found.get(person.id);
        if (candidate) candidate.keys.push(key);
        else found.set(person.id, { person, keys: [key] });
      }
    }
    return [...found.values()];
  }
}
