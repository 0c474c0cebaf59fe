/**
 * Per-request state: one DataLoader per lookup, so that a request touching 100 care requests (e.g. the
 * gateway resolving 100 associations' `careRequest`) costs one query per kind, not 100.
 */
import { byIdLoader, type DataLoader, groupLoader, type RequestContext } from '@care-graph/service-kit';
import type { PrismaClient } from './db';
import type { CareRequest as CareRequestRow, Patient as PatientRow } from './generated/prisma/client';
import { associatedWithPartnerLoader } from './service-calls';

export interface CareRequestsContext extends RequestContext {
  prisma: PrismaClient;
  careRequests: DataLoader<string, CareRequestRow | null>;
  patients: DataLoader<string, PatientRow | null>;
  /** The ids of each patient's care requests. */
  careRequestsOfPatient: DataLoader<string, Pick<CareRequestRow, 'id' | 'patientId'>[]>;
  /**
   * Whether the identity may see a care request: admin and services all, a partner token those associated
   * with its partner (asked of partners, batched per request).
   */
  canSeeCareRequest(careRequestId: string): Promise<boolean>;
}

export function createContext(prisma: PrismaClient, base: RequestContext): CareRequestsContext {
  const { identity } = base;
  const associated = identity.role === 'partner' && identity.partnerId ? associatedWithPartnerLoader(base, identity.partnerId) : null;
  return {
    ...base,
    prisma,
    careRequests: byIdLoader((ids) => prisma.careRequest.findMany({ where: { id: { in: ids } } })),
    patients: byIdLoader((ids) => prisma.patient.findMany({ where: { id: { in: ids } } })),
    careRequestsOfPatient: groupLoader(
      (patientIds) => prisma.careRequest.findMany({ where: { patientId: { in: patientIds } }, select: { id: true, patientId: true } }),
      (row) => row.patientId,
    ),
    canSeeCareRequest: async (careRequestId) => identity.role !== 'partner' || (associated ? associated.load(careRequestId) : false),
  };
}
