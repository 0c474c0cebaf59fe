/**
 * The roster index: finds, for a batch of people, the roster members that share a blocking key with
 * each. One interface, chosen by configuration (`ROSTER_INDEX`):
 *
 * - `postgres` (default): the members live in the pop-health database (PGlite embedded, PostgreSQL in
 *   production); their keys are computed when a roster is first matched; see PostgresRosterIndex.
 * - `elasticsearch`: documents in Elasticsearch (`ELASTICSEARCH_URL`), one index for current rosters and a
 *   separate one for backfill rosters; bulk indexing, one msearch per batch (elasticsearch-index.ts).
 */
import { MemoryIndex, normalize, type Candidate, type NormalizedPerson, type PersonInput } from '@care-graph/matching';
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
   * The database index needs nothing more: it reads the members from there.
   */
  addMembers(roster: RosterRef, members: (PersonInput & { rosterId: string; blockingKeys: string[] })[]): Promise<void>;
  /** False when `addMembers` ignores its input (the database index): ingestion then skips building it. */
  readonly wantsMembers: boolean;
}

/** A roster member as the matcher sees it. */
export function personOf(row: Pick<RosterPatientRow, 'id' | 'givenName' | 'middleName' | 'familyName' | 'dateOfBirth' | 'sex' | 'ssn' | 'memberId' | 'addressLine1' | 'city' | 'state' | 'postalCode'>): PersonInput {
  return { ...row, dateOfBirth: formatCalendarDate(new Date(row.dateOfBirth)) };
}

const COLUMNS = '"id", "givenName", "middleName", "familyName", "dateOfBirth", "sex", "ssn", "memberId", "addressLine1", "city", "state", "postalCode"';

/**
 * The default index: the members are in the pop-health database. A READY roster never changes, so the
 * first batch matched against it reads the whole roster once (by `rosterId`, an indexed column) and files
 * its members under their blocking keys in memory; every later batch of the backfill is answered from
 * there. Keys are computed at that load (~4 µs a member), not stored: storing them doubled each row and
 * the ingestion's time, and a change to the matching rules would have left stored keys stale.
 * Measured on 20,000 patients against a 20,000-member roster: looking each batch up in the database
 * instead (a GIN-indexed `&&` over ~14,000 keys a batch) matched ~80 patients/s on PGlite. Bounded to the
 * most recently used `capacity` rosters.
 */
export class PostgresRosterIndex implements RosterIndex {
  readonly wantsMembers = false;
  private readonly cache = new Map<string, Promise<MemoryIndex>>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly capacity = 4,
  ) {}

  /** Nothing to add: the members are read from the database when the roster is first matched. */
  async addMembers(roster: RosterRef): Promise<void> {
    this.cache.delete(roster.id);
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
