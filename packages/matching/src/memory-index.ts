/**
 * An in-memory blocking index: key → the people filed under it. The services keep their index in the
 * database (or Elasticsearch); this one serves tests, benchmarks and small rosters, with the same rules.
 */
import { blockingKeys, type NormalizedPerson } from './normalize';
import type { Candidate } from './match';

/** Blocks larger than this are skipped when looking up: a key shared by that many people proves nothing. */
export const MAX_BLOCK_SIZE = 500;

const SCAN_LIMIT = 16;

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
    // A person is usually found under several keys. With a handful of candidates a scan of the list is
    // cheaper than a map; past `SCAN_LIMIT` (large blocks) a map takes over.
    const found: Candidate[] = [];
    let byPerson: Map<NormalizedPerson, Candidate> | undefined;
    for (const key of blockingKeys(query)) {
      const block = this.blocks.get(key);
      if (!block || block.length > MAX_BLOCK_SIZE) continue;
      for (const person of block) {
        let candidate: Candidate | undefined;
        if (byPerson) candidate = byPerson.get(person);
        else {
          for (let i = 0; i < found.length; i += 1) {
            if (found[i].person === person) {
              candidate = found[i];
              break;
            }
          }
        }
        if (candidate) {
          candidate.keys.push(key);
          continue;
        }
        candidate = { person, keys: [key] };
        found.push(candidate);
        if (byPerson) byPerson.set(person, candidate);
        else if (found.length > SCAN_LIMIT) byPerson = new Map(found.map((c) => [c.person, c]));
      }
    }
    return found;
  }
}
