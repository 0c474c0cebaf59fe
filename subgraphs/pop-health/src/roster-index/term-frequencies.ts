/**
 * A roster's term frequencies as kept with it (the RosterTermFrequencies row its ingestion wrote when it
 * became READY; see @care-graph/matching's frequencies.ts), for either index.
 */
import { countTermFrequencies, normalize, type PersonInput, type TermFrequencies } from '@care-graph/matching';
import { formatCalendarDate } from '@care-graph/service-kit';
import type { PrismaClient } from '../db';
import type { RosterPatient as RosterPatientRow } from '../generated/prisma/client';
import { ROSTER_PATIENT_COLUMNS, type RosterPatientField } from '../roster-patient-fields';

export type RosterPatientRecord = Pick<RosterPatientRow, RosterPatientField>;

/** A roster patient, as read from its database row, as the matcher sees it. */
export function personOf(row: RosterPatientRecord): PersonInput {
  return { ...row, dateOfBirth: formatCalendarDate(new Date(row.dateOfBirth)) };
}

export function readRosterPatients(prisma: PrismaClient, rosterId: string): Promise<RosterPatientRecord[]> {
  return prisma.$queryRawUnsafe<RosterPatientRecord[]>(
    `SELECT ${ROSTER_PATIENT_COLUMNS} FROM "RosterPatient" WHERE "rosterId" = $1`,
    rosterId,
  );
}

/** The stored frequencies, or null for a roster made READY before they were kept. */
export async function storedTermFrequencies(prisma: PrismaClient, rosterId: string): Promise<TermFrequencies | null> {
  const row = await prisma.rosterTermFrequencies.findUnique({ where: { rosterId } });
  return row ? { size: row.size, counts: row.counts as unknown as TermFrequencies['counts'] } : null;
}

/**
 * The stored frequencies; for a roster made READY before they were kept, counted from its roster patients
 * and stored, once.
 */
export async function rosterTermFrequencies(prisma: PrismaClient, rosterId: string): Promise<TermFrequencies> {
  const stored = await storedTermFrequencies(prisma, rosterId);
  if (stored) return stored;
  const counted = countTermFrequencies((await readRosterPatients(prisma, rosterId)).map((row) => normalize(personOf(row))));
  // The roster may have been deleted meanwhile (no row to keep them with): then they are only used, not kept.
  await prisma.rosterTermFrequencies
    .upsert({
      where: { rosterId },
      create: { rosterId, size: counted.size, counts: counted.counts as never },
      update: {},
    })
    .catch(() => undefined);
  return counted;
}
