/**
 * The fields of a roster patient, declared once: the id, then the roster file's columns in the contract's
 * order. Everything that lists them derives from this list: the file's header, the parse worker's column
 * literals and the INSERT that takes them, the SELECT the matcher loads a roster with, the packing of people
 * across threads, and the Elasticsearch mapping. Wherever values travel as arrays (one per field), they are
 * in this order; a consistency test checks the list against the Prisma model and the contract's header.
 */
import type { PersonInput } from '@care-graph/matching';
import type { RosterPatient as RosterPatientRow } from './generated/prisma/client';

export const ROSTER_PATIENT_FIELDS = [
  { name: 'id', fileColumn: null, sqlType: 'text' },
  { name: 'memberId', fileColumn: 'member_id', sqlType: 'text' },
  { name: 'givenName', fileColumn: 'first_name', sqlType: 'text' },
  { name: 'middleName', fileColumn: 'middle_name', sqlType: 'text' },
  { name: 'familyName', fileColumn: 'last_name', sqlType: 'text' },
  { name: 'dateOfBirth', fileColumn: 'date_of_birth', sqlType: 'date' },
  { name: 'sex', fileColumn: 'sex', sqlType: '"Sex"' },
  { name: 'ssn', fileColumn: 'ssn', sqlType: 'text' },
  { name: 'addressLine1', fileColumn: 'address_line1', sqlType: 'text' },
  { name: 'city', fileColumn: 'city', sqlType: 'text' },
  { name: 'state', fileColumn: 'state', sqlType: 'text' },
  { name: 'postalCode', fileColumn: 'zip', sqlType: 'text' },
] as const satisfies readonly { name: keyof PersonInput & keyof RosterPatientRow; fileColumn: string | null; sqlType: string }[];

export type RosterPatientField = (typeof ROSTER_PATIENT_FIELDS)[number]['name'];

/** The field names, in declaration order. */
export const ROSTER_PATIENT_FIELD_NAMES: readonly RosterPatientField[] = ROSTER_PATIENT_FIELDS.map((field) => field.name);

/** A roster patient's fields as text (the date of birth as YYYY-MM-DD), null where empty. */
export type RosterPatientText = { [F in RosterPatientField]: string | null };

/** People as one array of values per field, in declaration order: how they cross between threads. */
export type PackedPeople = (string | null)[][];

/** The columns `people` make, one array per field (see PackedPeople). */
export function packPeople(people: readonly Partial<Record<RosterPatientField, string | null>>[]): PackedPeople {
  return ROSTER_PATIENT_FIELD_NAMES.map((field) => people.map((person) => person[field] ?? null));
}

/** Person `i` of packed columns. */
export function personAt(columns: PackedPeople, i: number): PersonInput {
  const person: Partial<RosterPatientText> = {};
  for (let f = 0; f < ROSTER_PATIENT_FIELD_NAMES.length; f += 1) person[ROSTER_PATIENT_FIELD_NAMES[f]] = columns[f][i];
  return person as PersonInput;
}

/** Every person of packed columns, in order. */
export function unpackPeople(columns: PackedPeople): PersonInput[] {
  return columns[0].map((_id, i) => personAt(columns, i));
}

/** The roster file's header: the file columns of the fields, in order. */
export const ROSTER_HEADER: readonly string[] = ROSTER_PATIENT_FIELDS.flatMap((field) =>
  field.fileColumn === null ? [] : [field.fileColumn],
);

/** The fields' columns of the RosterPatient table, quoted, in declaration order (for SELECT and INSERT lists). */
export const ROSTER_PATIENT_COLUMNS = ROSTER_PATIENT_FIELD_NAMES.map((name) => `"${name}"`).join(', ');
