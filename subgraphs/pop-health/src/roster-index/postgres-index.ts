/**
 * The default roster index (`ROSTER_INDEX=postgres`): the roster patients are in the pop-health database,
 * and whole READY rosters are held by the match host (match-threads.ts) once matched against.
 */
import type { MatchDecision, PersonInput } from '@care-graph/matching';
import type { PrismaClient } from '../db';
import type { MatchHost } from './match-threads';
import type { RosterIndex, RosterRef } from './roster-index';
import { personOf, readRosterPatients, storedTermFrequencies } from './term-frequencies';

/**
 * A READY roster never changes, so the first batch matched against it reads the whole roster once (by
 * `rosterId`, an indexed column) and files its roster patients under their blocking keys in memory; every
 * later batch of the backfill is answered from there. Keys are computed at that load, not stored: storing
 * them doubled each row and slowed the ingestion, and a change to the matching rules would have left stored
 * keys stale. Looking each batch up in the database instead (a GIN-indexed `&&` over the batch's keys) was
 * measured far too slow (see bench/RESULTS.md, "Figures behind design decisions", roster index). The
 * roster's term frequencies, counted at its ingestion, come with it. Bounded to the most recently used
 * `capacity` rosters.
 */
export class PostgresRosterIndex implements RosterIndex {
  readonly wantsRosterPatients = false;
  /** Rosters loaded into the match host, least recently used first. */
  private readonly loaded = new Map<string, Promise<void>>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly host: MatchHost,
    private readonly capacity = 4,
  ) {}

  /** Nothing to add: the roster patients are read from the database when the roster is first matched. */
  async addRosterPatients(roster: RosterRef): Promise<void> {
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
      const [rows, termFrequencies] = await Promise.all([
        readRosterPatients(this.prisma, rosterId),
        storedTermFrequencies(this.prisma, rosterId),
      ]);
      // Without stored frequencies (a roster made READY before they were kept) the host counts them.
      await this.host.load(rosterId, rows.map(personOf), termFrequencies);
    })();
    loading.catch(() => this.loaded.delete(rosterId));
    this.loaded.set(rosterId, loading);
    while (this.loaded.size > this.capacity) this.forget(this.loaded.keys().next().value!);
    return loading;
  }

  /** Loads the roster ahead of its first batch (a backfill handed off); a failed load is tried again by that batch. */
  prepare(rosterId: string): void {
    this.load(rosterId).catch(() => undefined);
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
