/**
 * The roster index: finds, for a batch of people, the roster members that share a blocking key with
 * each. One interface, chosen by configuration (`ROSTER_INDEX`):
 *
 * - `postgres` (default): the members live in the pop-health database (PGlite embedded, PostgreSQL in
 *   production); their keys are computed when a roster is first matched; see PostgresRosterIndex.
 * - `elasticsearch`: documents in Elasticsearch (`ELASTICSEARCH_URL`), one index for current rosters and a
 *   separate one for backfill rosters; bulk indexing, one msearch per batch (elasticsearch-index.ts).
 */
import type { MatchDecision, PersonInput } from '@care-graph/matching';
import { formatCalendarDate } from '@care-graph/service-kit';
import type { PrismaClient } from '../db';
import type { RosterPatient as RosterPatientRow } from '../generated/prisma/client';
import type { MatchHost } from './match-threads';

export interface RosterRef {
  id: string;
  kind: 'CURRENT' | 'BACKFILL';
}

export interface RosterIndex {
  /**
   * For each person (in order), the decision on their best roster candidate (see @care-graph/matching).
   * `details: false` when only the explanations' summaries will be read (they may come without the rest).
   */
  match(roster: RosterRef, people: PersonInput[], details?: boolean): Promise<MatchDecision[]>;
  /**
   * Called with each batch of members as a roster is ingested (after they are stored in the database).
   * The database index needs nothing more: it reads the members from there.
   */
  addMembers(roster: RosterRef, members: (PersonInput & { rosterId: string; blockingKeys: string[] })[]): Promise<void>;
  /** False when `addMembers` ignores its input (the database index): ingestion then skips building it. */
  readonly wantsMembers: boolean;
  /** Releases what the index holds (threads, clients). */
  close(): Promise<void>;
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
  /** Rosters loaded into the match host, least recently used first. */
  private readonly loaded = new Map<string, Promise<void>>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly host: MatchHost,
    private readonly capacity = 4,
  ) {}

  /** Nothing to add: the members are read from the database when the roster is first matched. */
  async addMembers(roster: RosterRef): Promise<void> {
    this.forget(roster.id);
  }

  private forget(rosterId: string): void {
    this.loaded.delete(rosterId);
    this.host.drop(rosterId);
  }

  private load(rosterId: string): Promise<void> {
    let loading = this.loaded.get(rosterId);
    if (loading) {
      // Most recently used last, so that the oldest is evicted first.
      this.loaded.delete(rosterId);
      this.loaded.set(rosterId, loading);
      return loading;
    }
    loading = (async () => {
      const rows = await this.prisma.$queryRawUnsafe<Parameters<typeof personOf>[0][]>(`SELECT ${COLUMNS} FROM "RosterPatient" WHERE "rosterId" = $1`, rosterId);
      await this.host.load(rosterId, rows.map(personOf));
    })();
    loading.catch(() => this.loaded.delete(rosterId));
    this.loaded.set(rosterId, loading);
    while (this.loaded.size > this.capacity) this.forget(this.loaded.keys().next().value!);
    return loading;
  }

  async match(roster: RosterRef, people: PersonInput[], details = true): Promise<MatchDecision[]> {
    // A second try when the host lost the roster between the load and the batch (evicted, or a thread restarted).
    for (let attempt = 0; attempt < 2; attempt += 1) {
      await this.load(roster.id);
      const decisions = await this.host.match(roster.id, people, details);
      if (decisions) return decisions;
      this.loaded.delete(roster.id);
    }
    throw new Error(`Roster ${roster.id} could not be held for matching; try again.`);
  }

  close(): Promise<void> {
    this.loaded.clear();
    return this.host.close();
  }
}
