/**
 * The roster index: finds, for a batch of people, the roster members that share a blocking key with
 * each. One interface, chosen by configuration (`ROSTER_INDEX`):
 *
 * - `postgres` (default): the keys live on each roster member (`RosterPatient.blockingKeys`, GIN-indexed)
 *   in the pop-health database — PGlite embedded, PostgreSQL in production. One query per batch.
 * - `elasticsearch`: documents in Elasticsearch (`ELASTICSEARCH_URL`), one index for current rosters and a
 *   separate one for backfill rosters; bulk indexing, one msearch per batch (elasticsearch-index.ts).
 */
import { MAX_BLOCK_SIZE, blockingKeys, normalize, type Candidate, type NormalizedPerson, type PersonInput } from '@care-graph/matching';
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
