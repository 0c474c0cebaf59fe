/**
 * The roster index: finds, for a batch of people, the roster members that share a blocking key with
 * each. One interface, chosen by configuration (`ROSTER_INDEX`):
 *
 * - `postgres` (default): the keys live on each roster member (`RosterPatient.blockingKeys`) in the
 *   pop-health database — PGlite embedded, PostgreSQL in production. `CachedRosterIndex` reads a READY
 *   roster once and answers from memory; `PostgresRosterIndex` answers each batch with one query.
 * - `elasticsearch`: documents in Elasticsearch (`ELASTICSEARCH_URL`), one index for current rosters and a
 *   separate one for backfill rosters; bulk indexing, one msearch per batch (elasticsearch-index.ts).
 */
import { MAX_BLOCK_SIZE, MemoryIndex, blockingKeys, normalize, type Candidate, type NormalizedPerson, type PersonInput } from '@care-graph/matching';
import { formatCalendarDate } from '@care-graph/service-kit';
import type { PrismaClient } from './db';
import type { RosterPatient as RosterPatientRow } from './generated/prisma/client';

export interface RosterRef {
  id: string;
  kind: 'CURRENT' | 'BACKFILL';
}

export interface RosterIndex {
  /** For each query (in order), the roster members found under its blocking keys. */
  candidates(roster: RosterRef, queries: NormalizedPerson[]): Promise<Candidate[][]>;
  /**
   * Called with each batch of members as a roster is ingested (after they are stored in the database).
   * The database index needs nothing more: the keys are stored with the members.
   */
  addMembers(roster: RosterRef, members: (PersonInput & { rosterId: string; blockingKeys: string[] })[]): Promise<void>;
  /** False when `addMembers` ignores its input (the database index): ingestion then skips building it. */
  readonly wantsMembers: boolean;
}

/** A roster member as the matcher sees it. */
export function personOf(row: Pick<RosterPatientRow, 'id' | 'givenName' | 'middleName' | 'familyName' | 'dateOfBirth' | 'sex' | 'ssn' | 'memberId' | 'addressLine1' | 'city' | 'state' | 'postalCode'>): PersonInput {
  return { ...row, dateOfBirth: formatCalendarDate(new Date(row.dateOfBirth)) };
}

/** Groups people by blocking key, skipping blocks too large to be evidence, and answers each query. */
export function candidatesFromBlocks(queries: NormalizedPerson[], members: { person: NormalizedPerson; keys: string[] }[]): Candidate[][] {
  const blocks = new Map<string, NormalizedPerson[]>();
  for (const member of members) {
    for (const key of member.keys) {
      const block = blocks.get(key);
      if (block) block.push(member.person);
      else blocks.set(key, [member.person]);
    }
  }
  return queries.map((query) => {
    const found = new Map<string, Candidate>();
    for (const key of blockingKeys(query)) {
      const block = blocks.get(key);
      if (!block || block.length > MAX_BLOCK_SIZE) continue;
      for (const person of block) {
        const candidate = found.get(person.id);
        if (candidate) candidate.keys.push(key);
        else found.set(person.id, { person, keys: [key] });
      }
    }
    return [...found.values()];
  });
}

const COLUMNS = '"id", "givenName", "middleName", "familyName", "dateOfBirth", "sex", "ssn", "memberId", "addressLine1", "city", "state", "postalCode", "blockingKeys"';

export class PostgresRosterIndex implements RosterIndex {
  readonly wantsMembers = false;

  constructor(private readonly prisma: PrismaClient) {}

  async addMembers(): Promise<void> {}

  async candidates(roster: RosterRef, queries: NormalizedPerson[]): Promise<Candidate[][]> {
    const rosterId = roster.id;
    const keys = [...new Set(queries.flatMap((query) => blockingKeys(query)))];
    if (keys.length === 0) return queries.map(() => []);
    const rows = await this.prisma.$queryRawUnsafe<(Parameters<typeof personOf>[0] & { blockingKeys: string[] })[]>(
      `SELECT ${COLUMNS} FROM "RosterPatient" WHERE "rosterId" = $1 AND "blockingKeys" && $2::text[]`,
      rosterId,
      keys,
    );
    const wanted = new Set(keys);
    return candidatesFromBlocks(
      queries,
      rows.map((row) => ({ person: normalize(personOf(row)), keys: row.blockingKeys.filter((key) => wanted.has(key)) })),
    );
  }
}

/**
 * Keeps whole rosters in memory once they have been matched against: a READY roster never changes, so
 * its blocking-key index can be built once (one query for all its members) and reused by every batch of a
 * backfill. Measured on 20,000 patients against a 20,000-member roster: looking each batch up in the
 * database (GIN `&&` over ~14,000 keys a batch) matched ~80 patients/s on PGlite; from memory the matcher
 * runs at its own speed (the GIN index that query used was then dropped: ingestion is faster without it).
 * Bounded to the most recently used `capacity` rosters.
 */
export class CachedRosterIndex implements RosterIndex {
  private readonly cache = new Map<string, Promise<MemoryIndex>>();

  get wantsMembers(): boolean {
    return this.inner.wantsMembers;
  }

  constructor(
    private readonly prisma: PrismaClient,
    private readonly inner: RosterIndex,
    private readonly capacity = 4,
  ) {}

  addMembers(roster: RosterRef, members: Parameters<RosterIndex['addMembers']>[1]): Promise<void> {
    this.cache.delete(roster.id);
    return this.inner.addMembers(roster, members);
  }

  private load(rosterId: string): Promise<MemoryIndex> {
    let index = this.cache.get(rosterId);
    if (index) {
      // Most recently used last, so that the oldest is evicted first.
      this.cache.delete(rosterId);
      this.cache.set(rosterId, index);
      return index;
    }
    index = (async () => {
      const memory = new MemoryIndex();
      const rows = await this.prisma.$queryRawUnsafe<Parameters<typeof personOf>[0][]>(
        `SELECT ${COLUMNS} FROM "RosterPatient" WHERE "rosterId" = $1`,
        rosterId,
      );
      for (const row of rows) memory.add(normalize(personOf(row)));
      return memory;
    })();
    index.catch(() => this.cache.delete(rosterId));
    this.cache.set(rosterId, index);
    while (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value!);
    return index;
  }

  async candidates(roster: RosterRef, queries: NormalizedPerson[]): Promise<Candidate[][]> {
    const memory = await this.load(roster.id);
    return queries.map((query) => memory.candidates(query));
  }
}
