/**
 * The roster index: finds, for a batch of people, the roster patients that share a blocking key with
 * each. One interface, chosen by configuration (`ROSTER_INDEX`):
 *
 * - `postgres` (default): the roster patients live in the pop-health database (PGlite embedded, PostgreSQL
 *   in production); their keys are computed when a roster is first matched (postgres-index.ts).
 * - `elasticsearch`: documents in Elasticsearch (`ELASTICSEARCH_URL`), one index for current rosters and a
 *   separate one for backfill rosters; bulk indexing, one msearch per batch (elasticsearch-index.ts).
 */
import type { MatchDecision, PersonInput } from '@care-graph/matching';

export interface RosterRef {
  id: string;
  kind: 'CURRENT' | 'BACKFILL';
}

/** A roster patient as an index that keeps its own copy receives it: the matcher's input plus its keys and roster. */
export interface RosterPatientDocument extends PersonInput {
  rosterId: string;
  blockingKeys: string[];
}

export interface RosterIndex {
  /**
   * For each person (in order), the decision on their best roster candidate (see @care-graph/matching).
   * `details: false` when only the explanations' summaries will be read (they may come without the rest).
   */
  match(roster: RosterRef, people: PersonInput[], details?: boolean): Promise<MatchDecision[]>;
  /**
   * Called with each batch of roster patients as a roster is ingested (after they are stored in the
   * database). The database index needs nothing more: it reads them from there.
   */
  addRosterPatients(roster: RosterRef, rosterPatients: RosterPatientDocument[]): Promise<void>;
  /** False when `addRosterPatients` ignores its input (the database index): ingestion then skips building it. */
  readonly wantsRosterPatients: boolean;
  /** A hint that `rosterId` (READY) is about to be matched in batches: an index that loads rosters may start now. Never throws. */
  prepare?(rosterId: string): void;
  /** Releases what the index holds (threads, clients). */
  close(): Promise<void>;
}
