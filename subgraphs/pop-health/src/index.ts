/**
 * pop-health: partner rosters, their roster patients, and the backfill lifecycle.
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { DEMO_ROSTER, demoRosterMembers } from '@care-graph/demo-data';
import { buildFederatedSchema, entityReference, ownedByPartner, type SubgraphDefinition, writeStamp } from '@care-graph/service-kit';
import { AuditEventResolver } from './audit-event';
import { pruneAuditEventsPeriodically } from './audit-retention';
import { BackfillResolver, RosterBackfillsResolver } from './backfill';
import { startBackfillLifecycleFromEnv } from './backfill-lifecycle/driver';
import { createContext, type PopHealthContext } from './context';
import { openPopHealthDatabase, type PrismaClient } from './db';
import { MatchRunnerUpResolver, PatientMatchingResolver, PatientMatchResolver } from './patient-matching';
import { RosterPatientResolver, RosterResolver } from './roster';
import { ElasticsearchRosterIndex } from './roster-index/elasticsearch-index';
import { matchHost } from './roster-index/match-threads';
import { PostgresRosterIndex } from './roster-index/postgres-index';
import type { RosterIndex } from './roster-index/roster-index';
import { rosterTermFrequencies } from './roster-index/term-frequencies';
import { sweepAbandonedIngestions } from './roster-ingestion/abandoned-ingestions';
import { rosterUploadRoute } from './roster-ingestion/roster-upload';

const indexes = new WeakMap<PrismaClient, RosterIndex>();

/**
 * The roster index configured by ROSTER_INDEX: `postgres` (default: roster patients in the pop-health database,
 * whole READY rosters held by the matching threads once matched against; MATCH_THREADS) or
 * `elasticsearch` (with ELASTICSEARCH_URL). One per database.
 */
export function rosterIndexFor(prisma: PrismaClient, env: NodeJS.ProcessEnv = process.env): RosterIndex {
  let index = indexes.get(prisma);
  if (!index) {
    const kind = env.ROSTER_INDEX ?? 'postgres';
    if (kind === 'elasticsearch') {
      if (!env.ELASTICSEARCH_URL) throw new Error('ROSTER_INDEX=elasticsearch needs ELASTICSEARCH_URL.');
      index = ElasticsearchRosterIndex.fromUrl(env.ELASTICSEARCH_URL, (rosterId) => rosterTermFrequencies(prisma, rosterId));
    } else if (kind === 'postgres') index = new PostgresRosterIndex(prisma, matchHost(env));
    else throw new Error(`ROSTER_INDEX must be postgres or elasticsearch; got "${kind}".`);
    indexes.set(prisma, index);
  }
  return index;
}

/** Releases the roster index of a database (its matching threads), when the service stops. */
async function closeRosterIndex(prisma: PrismaClient): Promise<void> {
  const index = indexes.get(prisma);
  indexes.delete(prisma);
  await index?.close();
}

export function buildPopHealthSchema() {
  return buildFederatedSchema<PopHealthContext>(
    {
      resolvers: [
        RosterResolver,
        RosterPatientResolver,
        BackfillResolver,
        RosterBackfillsResolver,
        PatientMatchingResolver,
        PatientMatchResolver,
        MatchRunnerUpResolver,
        AuditEventResolver,
      ],
    },
    // The rules of roster(id) and backfill(id): a partner token sees its own partner's records only.
    {
      Roster: entityReference(
        (ref, ctx) => ctx.rosters.load(ref.id),
        ownedByPartner((roster) => roster.partnerId),
      ),
      RosterPatient: entityReference(
        (ref, ctx) => ctx.rosterPatients.load(ref.id),
        ownedByPartner(async (patient, ctx) => (await ctx.rosters.load(patient.rosterId))?.partnerId ?? null),
      ),
      Backfill: entityReference(
        (ref, ctx) => ctx.backfills.load(ref.id),
        ownedByPartner((backfill) => backfill.partnerId),
      ),
    },
    // A roster file is read row by row by its parser, which rejects a bad row on its own (roster-file.ts).
    ['Mutation.ingestRoster.input.content'],
  );
}

export const popHealthSubgraph: SubgraphDefinition<PrismaClient, PopHealthContext> = {
  name: 'pop-health',
  // RosterPatient is listed only per roster (Roster.patients); keeping its high-water mark would cost an
  // index on (lastUpdated) that slows every roster ingestion, for a fast path that list rarely needs.
  tables: ['Roster', 'Backfill', 'AuditEvent'],
  buildSchema: buildPopHealthSchema,
  openDatabase: openPopHealthDatabase,
  createContext: (prisma, base, database) => createContext(prisma, rosterIndexFor(prisma), base, database),
  // Three kinds of background work: the sweep of abandoned roster ingestions, the backfill lifecycle driver and
  // the audit log's retention.
  background(services) {
    const stopPruning = pruneAuditEventsPeriodically(services);
    const index = rosterIndexFor(services.client);
    const lifecycle = startBackfillLifecycleFromEnv({ ...services, prepareRoster: (rosterId) => index.prepare?.(rosterId) });
    const stopSweeping = sweepAbandonedIngestions(services);
    return async () => {
      await Promise.all([lifecycle.stop(), stopSweeping(), stopPruning()]);
    };
  },
  close: closeRosterIndex,
  routes: (app, { client, database, clock, authenticate }) =>
    rosterUploadRoute(app, { store: { prisma: client, database, clock, index: rosterIndexFor(client) }, authenticate }),
  async seed(prisma) {
    if ((await prisma.roster.count()) > 0) return false;
    const rosterPatients = demoRosterMembers();
    await prisma.$transaction(async (tx) => {
      const now = await writeStamp(tx);
      await tx.roster.create({
        data: {
          ...DEMO_ROSTER,
          kind: 'BACKFILL',
          contentHash: createHash('sha256').update(`demo:${DEMO_ROSTER.id}`).digest('hex'),
          status: 'READY',
          rowCount: rosterPatients.length,
          acceptedCount: rosterPatients.length,
          rejectedCount: 0,
          lastUpdated: now,
        },
      });
      await tx.rosterPatient.createMany({
        data: rosterPatients.map((m) => ({
          rosterId: DEMO_ROSTER.id,
          memberId: m.memberId,
          givenName: m.givenName,
          middleName: m.middleName ?? null,
          familyName: m.familyName,
          dateOfBirth: m.dateOfBirth,
          sex: m.sex,
          ssn: m.ssn ?? null,
          addressLine1: m.address?.line1 ?? null,
          city: m.address?.city ?? null,
          state: m.address?.state ?? null,
          postalCode: m.address?.postalCode ?? null,
          lastUpdated: now,
        })),
      });
    });
    return true;
  },
};
