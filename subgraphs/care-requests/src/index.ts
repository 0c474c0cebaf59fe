/**
 * care-requests: the source of truth for care requests and their patients.
 */
import 'reflect-metadata';
import { demoCareRequests } from '@care-graph/demo-data';
import { accessRule, buildFederatedSchema, entityReference, type SubgraphDefinition, writeStamp } from '@care-graph/service-kit';
import { BackfillWindowResolver } from './backfill-window';
import { CareRequestResolver } from './care-request';
import { type CareRequestsContext, createContext } from './context';
import { canSeeDataLoad, DataLoadResolver } from './data-load';
import { openCareRequestsDatabase, type PrismaClient } from './db';
import type { DataLoad as DataLoadRow } from './generated/prisma/client';
import { ImportResolver, writeImportRecords } from './import';
import { PatientResolver } from './patient';

export function buildCareRequestsSchema() {
  return buildFederatedSchema<CareRequestsContext>(
    { resolvers: [CareRequestResolver, BackfillWindowResolver, PatientResolver, ImportResolver, DataLoadResolver] },
    // The root fields are admin/service only (dataLoaded aside); a partner token reaches care requests (and
    // their patients) only through its own associations, and data loads of its own partner's data, so those
    // are what it may resolve.
    {
      CareRequest: entityReference(
        (ref, ctx) => ctx.careRequests.load(ref.id),
        accessRule('those associated with its partner', (careRequest, ctx) => ctx.canSeeCareRequest(careRequest.id)),
      ),
      Patient: entityReference(
        (ref, ctx) => ctx.patients.load(ref.id),
        accessRule('the patients of care requests associated with its partner', async (patient, ctx) => {
          const careRequests = await ctx.careRequestsOfPatient.load(patient.id);
          return (await Promise.all(careRequests.map((careRequest) => ctx.canSeeCareRequest(careRequest.id)))).some(Boolean);
        }),
      ),
      DataLoad: entityReference<DataLoadRow, CareRequestsContext>(
        (ref, ctx) => ctx.prisma.dataLoad.findUnique({ where: { id: ref.id } }),
        canSeeDataLoad,
      ),
    },
    // Each import record is checked on its own: one bad record is rejected with its reasons, the rest load.
    ['Mutation.importCareRequests.records'],
  );
}

export const careRequestsSubgraph: SubgraphDefinition<PrismaClient, CareRequestsContext> = {
  name: 'care-requests',
  tables: ['CareRequest', 'Patient', 'DataLoad'],
  buildSchema: buildCareRequestsSchema,
  openDatabase: openCareRequestsDatabase,
  createContext,
  async seed(prisma) {
    if ((await prisma.careRequest.count()) > 0) return false;
    const records = demoCareRequests(new Date());
    // One data load for the whole demo set, as the import CLI records a file.
    const load = await prisma.$transaction(async (tx) =>
      tx.dataLoad.create({ data: { kind: 'CARE_REQUEST_IMPORT', source: 'demo data', startedAt: await writeStamp(tx) } }),
    );
    for (let i = 0; i < records.length; i += 1000) {
      await writeImportRecords(prisma, records.slice(i, i + 1000), { loadId: load.id });
    }
    await prisma.$transaction(async (tx) => {
      const stamp = await writeStamp(tx);
      await tx.dataLoad.update({ where: { id: load.id }, data: { status: 'COMPLETED', finishedAt: stamp, lastUpdated: stamp } });
    });
    return true;
  },
};

export { writeImportRecords };
