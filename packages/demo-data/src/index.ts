/**
 * Demo data for embedded mode's first start. Every service seeds its own database from these same
 * deterministic generators, so their ids agree across services without any service calling another:
 * the partners service knows the demo partners, care-requests the patients, and pop-health a roster of
 * the first partner drawn from the same patients.
 */
import type { ImportRecord } from '@care-graph/care-request-import';
import { FAMILY_NAMES, GIVEN_NAMES, seededRandom } from '@care-graph/matching';
import type { Sex } from '@care-graph/person';

/** The seedable PRNG the synthetic matching data uses too: the same seed gives the same data everywhere. */
export const random = seededRandom;

export const DEMO_PARTNERS = [
  { id: '6f1c2a3e-0000-4000-8000-000000000001', name: 'Front Range Health Plan' },
  { id: '6f1c2a3e-0000-4000-8000-000000000002', name: 'Mile High Medicare Advantage' },
  { id: '6f1c2a3e-0000-4000-8000-000000000003', name: 'Rocky Mountain ACO' },
] as const;

/** The demo roster: the first partner's backfill roster. */
export const DEMO_ROSTER = {
  id: '6f1c2a3e-0000-4000-8000-0000000000a1',
  partnerId: DEMO_PARTNERS[0].id,
  fileName: 'front-range-2026-backfill.csv',
};

// The demo's names: the most common of the synthetic generator's, and a few that exercise normalisation.
const FEMALE = GIVEN_NAMES.F.slice(0, 50);
const MALE = GIVEN_NAMES.M.slice(0, 50);
const FAMILY = [...FAMILY_NAMES.slice(0, 50), "O'Brien", 'García-López', 'Van der Berg', 'Müller', 'St. John'];
const STREETS = [
  'Main St',
  'Colfax Ave',
  'Broadway',
  'Federal Blvd',
  'Speer Blvd',
  'York St',
  'Downing St',
  'Alameda Ave',
  'Evans Ave',
  'Kipling St',
];
const CITIES: [string, string, string][] = [
  ['Denver', 'CO', '802'],
  ['Aurora', 'CO', '800'],
  ['Lakewood', 'CO', '802'],
  ['Boulder', 'CO', '803'],
  ['Colorado Springs', 'CO', '809'],
  ['Fort Collins', 'CO', '805'],
];

export type DemoPatient = ImportRecord['patient'];

const pick = <T>(rand: () => number, items: readonly T[]): T => items[Math.floor(rand() * items.length)];
const digits = (rand: () => number, n: number) => Array.from({ length: n }, () => Math.floor(rand() * 10)).join('');

/** `count` patients, the same ones for the same `seed`. */
export function demoPatients(count: number, seed = 20260101): DemoPatient[] {
  const rand = random(seed);
  return Array.from({ length: count }, (_, i) => {
    const sex: Sex = rand() < 0.52 ? 'F' : 'M';
    const [city, state, zip3] = pick(rand, CITIES);
    const dob = new Date(Date.UTC(1930 + Math.floor(rand() * 90), Math.floor(rand() * 12), 1 + Math.floor(rand() * 28)));
    return {
      id: `pt-${String(i + 1).padStart(6, '0')}`,
      givenName: pick(rand, sex === 'F' ? FEMALE : MALE),
      middleName: rand() < 0.4 ? pick(rand, sex === 'F' ? FEMALE : MALE) : null,
      familyName: pick(rand, FAMILY),
      dateOfBirth: dob,
      sex,
      ssn: rand() < 0.85 ? `${1 + Math.floor(rand() * 8)}${digits(rand, 8)}` : null,
      memberId: rand() < 0.7 ? `M${digits(rand, 9)}` : null,
      address: { line1: `${1 + Math.floor(rand() * 9000)} ${pick(rand, STREETS)}`, city, state, postalCode: `${zip3}${digits(rand, 2)}` },
    };
  });
}

export const DEMO_PATIENT_COUNT = 6000;
export const DEMO_CARE_REQUEST_COUNT = 10_000;

/** ~10,000 care requests over the year before `now`, spread over the demo patients. */
export function demoCareRequests(now: Date, count = DEMO_CARE_REQUEST_COUNT, seed = 20260102): ImportRecord[] {
  const patients = demoPatients(DEMO_PATIENT_COUNT);
  const rand = random(seed);
  const yearMs = 365 * 24 * 3600 * 1000;
  const statuses = ['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED', 'CANCELLED', 'ARCHIVED'] as const;
  return Array.from({ length: count }, (_, i) => {
    const createdAt = new Date(now.getTime() - Math.floor(rand() * yearMs));
    const lastUpdated = new Date(Math.min(now.getTime(), createdAt.getTime() + Math.floor(rand() * 48 * 3600 * 1000)));
    return {
      id: `cr-${String(i + 1).padStart(6, '0')}`,
      createdAt,
      status: pick(rand, statuses),
      lastUpdated,
      patient: pick(rand, patients),
    };
  });
}

/** The demo roster's members: every fifth demo patient, as the first partner would send them. */
export function demoRosterMembers(): (DemoPatient & { memberId: string })[] {
  return demoPatients(DEMO_PATIENT_COUNT)
    .filter((_, i) => i % 5 === 0)
    .map((p, i) => ({ ...p, memberId: p.memberId ?? `FR${String(i).padStart(7, '0')}` }));
}
