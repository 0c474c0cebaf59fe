/** Per-request DataLoaders of the pop-health service. */
import { byIdLoader, type Database, type DataLoader, groupedPageLoaders, type RequestContext } from '@care-graph/service-kit';
import type { PrismaClient } from './db';
import type { Backfill as BackfillRow, RosterPatient as RosterPatientRow, Roster as RosterRow } from './generated/prisma/client';
import type { RosterIndex } from './roster-index/roster-index';

export interface PopHealthContext extends RequestContext {
  prisma: PrismaClient;
  rosters: DataLoader<string, RosterRow | null>;
  rosterPatients: DataLoader<string, RosterPatientRow | null>;
  backfills: DataLoader<string, BackfillRow | null>;
  /** One page of each roster's roster patients, batched across rosters. */
  rosterPatientPages: ReturnType<typeof groupedPageLoaders<RosterPatientRow>>;
  /** One page of each roster's backfills, batched across rosters. */
  rosterBackfillPages: ReturnType<typeof groupedPageLoaders<BackfillRow>>;
  rosterIndex: RosterIndex;
  /** The database's direct path, for roster ingestion's bulk inserts. */
  database: Pick<Database<PrismaClient>, 'directTransaction'>;
}

export function createContext(
  prisma: PrismaClient,
  rosterIndex: RosterIndex,
  base: RequestContext,
  database: PopHealthContext['database'],
): PopHealthContext {
  return {
    ...base,
    prisma,
    rosterIndex,
    database,
    rosters: byIdLoader((ids) => prisma.roster.findMany({ where: { id: { in: ids } } })),
    rosterPatients: byIdLoader((ids) => prisma.rosterPatient.findMany({ where: { id: { in: ids } } })),
    backfills: byIdLoader((ids) => prisma.backfill.findMany({ where: { id: { in: ids } } })),
    rosterPatientPages: groupedPageLoaders<RosterPatientRow>(prisma, { table: 'RosterPatient', parentColumn: 'rosterId' }),
    rosterBackfillPages: groupedPageLoaders<BackfillRow>(prisma, { table: 'Backfill', parentColumn: 'rosterId' }),
  };
}
