/**
 * Per-request state: one DataLoader per lookup, so that a request touching 100 care requests (e.g. the
 * gateway resolving 100 associations' `careRequest`) costs one query per kind, not 100.
 */
import { byIdLoader, type DataLoader, type RequestContext } from '@care-graph/service-kit';
import type { PrismaClient } from './db';
import type { CareRequest as CareRequestRow, Patient as PatientRow } from './generated/prisma/client';

export interface CareRequestsContext extends RequestContext {
  prisma: PrismaClient;
  careRequests: DataLoader<string, CareRequestRow | null>;
  patients: DataLoader<string, PatientRow | null>;
}

export function createContext(prisma: PrismaClient, base: RequestContext): CareRequestsContext {
  return {
    ...base,
    prisma,
    careRequests: byIdLoader((ids) => prisma.careRequest.findMany({ where: { id: { in: ids } } })),
    patients: byIdLoader((ids) => prisma.patient.findMany({ where: { id: { in: ids } } })),
  };
}
