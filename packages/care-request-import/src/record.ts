/**
 * One care-request import record (a line of an NDJSON file, or one `CareRequestImportInput`).
 *
 * `parseImportRecord` takes the raw JSON value and returns the record or the reasons it is rejected; the
 * import CLI uses it to report bad lines by number, and the service runs `checkImportRecord` on what
 * GraphQL already coerced, so both apply the same rules.
 */

import { fieldFault, quote } from '@care-graph/limits';
import { isSexCode, parseSsn, SEX_CODES, type Sex } from '@care-graph/person';
import { parseCalendarDate, parseInstant } from '@care-graph/time';

export const CARE_REQUEST_STATUSES = [
  'REQUESTED',
  'ACCEPTED',
  'SCHEDULED',
  'ON_ROUTE',
  'ON_SCENE',
  'COMPLETED',
  'CANCELLED',
  'ARCHIVED',
] as const;
export type CareRequestStatus = (typeof CARE_REQUEST_STATUSES)[number];

export interface ImportAddress {
  line1?: string | null;
  city?: string | null;
  state?: string | null;
  postalCode?: string | null;
}

export interface ImportPatient {
  id: string;
  givenName: string;
  middleName?: string | null;
  familyName: string;
  dateOfBirth: Date;
  sex: Sex;
  ssn?: string | null;
  memberId?: string | null;
  address?: ImportAddress | null;
}

export interface ImportRecord {
  id: string;
  createdAt: Date;
  status: CareRequestStatus;
  /**
   * Present → kept (a historical load); `null` → the record has none (legacy); `undefined` (key absent)
   * → stamped with the time of the load.
   */
  lastUpdated?: Date | null;
  patient: ImportPatient;
}

export type ParseResult = { ok: true; record: ImportRecord } | { ok: false; reasons: string[] };

const RECORD_KEYS = new Set(['id', 'createdAt', 'status', 'lastUpdated', 'patient']);
const PATIENT_KEYS = new Set(['id', 'givenName', 'middleName', 'familyName', 'dateOfBirth', 'sex', 'ssn', 'memberId', 'address']);
const ADDRESS_KEYS = new Set(['line1', 'city', 'state', 'postalCode']);

/** Semantic rules on an already-typed record; returns the reasons it is rejected (empty when valid). */
export function checkImportRecord(record: ImportRecord, now: Date = new Date()): string[] {
  const reasons: string[] = [];
  const { patient } = record;
  // Every text field by the API's text rule (control characters, length of its kind: @care-graph/limits).
  const texts: [string, string | null | undefined][] = [
    ['id', record.id],
    ['patient.id', patient.id],
    ['patient.givenName', patient.givenName],
    ['patient.middleName', patient.middleName],
    ['patient.familyName', patient.familyName],
    ['patient.ssn', patient.ssn],
    ['patient.memberId', patient.memberId],
    ['patient.address.line1', patient.address?.line1],
    ['patient.address.city', patient.address?.city],
    ['patient.address.state', patient.address?.state],
    ['patient.address.postalCode', patient.address?.postalCode],
  ];
  for (const [field, value] of texts) {
    const fault = typeof value === 'string' ? fieldFault(field.slice(field.lastIndexOf('.') + 1), value) : null;
    if (fault) reasons.push(`${field} ${fault}`);
  }
  for (const [field, value] of [
    ['id', record.id],
    ['patient.id', patient.id],
    ['patient.givenName', patient.givenName],
    ['patient.familyName', patient.familyName],
  ] as const) {
    if (value.trim() === '') reasons.push(`${field} must not be empty`);
  }
  if (record.patient.dateOfBirth.getTime() > now.getTime()) reasons.push('patient.dateOfBirth is in the future');
  if (record.patient.dateOfBirth.getUTCFullYear() < 1850) reasons.push('patient.dateOfBirth is before 1850');
  const ssn = record.patient.ssn;
  if (ssn !== undefined && ssn !== null && !/^\d{9}$/.test(ssn)) reasons.push('patient.ssn must be 9 digits (dashes are removed first)');
  if (record.createdAt.getTime() > now.getTime() + 5 * 60_000) reasons.push('createdAt is in the future');
  if (record.lastUpdated && record.lastUpdated.getTime() > now.getTime() + 5 * 60_000) reasons.push('lastUpdated is in the future');
  return reasons;
}

/**
 * The SSN as an import stores it, by `@care-graph/person`'s rule: nine digits, or null (none, empty, or a
 * placeholder such as 123456789). An invalid one is kept as sent, for `checkImportRecord` to reject.
 */
export function normaliseSsn(ssn: string | null | undefined): string | null | undefined {
  if (ssn === undefined || ssn === null) return ssn;
  const parsed = parseSsn(ssn);
  return 'invalid' in parsed ? ssn : parsed.ssn;
}

type Raw = Record<string, unknown>;

function isObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses one raw JSON record (the NDJSON shape of the contract). */
export function parseImportRecord(raw: unknown, now: Date = new Date()): ParseResult {
  const reasons: string[] = [];
  if (!isObject(raw)) return { ok: false, reasons: ['the line is not a JSON object'] };

  const unknownKeys = (value: Raw, allowed: Set<string>, prefix: string) => {
    for (const key of Object.keys(value)) if (!allowed.has(key)) reasons.push(`unknown field ${quote(prefix + key)}`);
  };
  const str = (value: Raw, key: string, prefix: string, required: boolean): string | null | undefined => {
    const v = value[key];
    if (v === undefined || v === null) {
      if (required) reasons.push(`${prefix}${key} is required`);
      return v as null | undefined;
    }
    if (typeof v !== 'string') {
      reasons.push(`${prefix}${key} must be a string`);
      return undefined;
    }
    if (required && v.trim() === '') reasons.push(`${prefix}${key} must not be empty`);
    return v;
  };

  unknownKeys(raw, RECORD_KEYS, '');
  const id = str(raw, 'id', '', true);
  const createdAtText = str(raw, 'createdAt', '', true);
  const createdAt = typeof createdAtText === 'string' ? parseInstant(createdAtText) : null;
  if (typeof createdAtText === 'string' && !createdAt)
    reasons.push(`createdAt ${quote(createdAtText)} is not a valid ISO-8601 instant with a zone, e.g. 2026-02-06T01:18:32.180Z`);
  const status = str(raw, 'status', '', true);
  if (typeof status === 'string' && !(CARE_REQUEST_STATUSES as readonly string[]).includes(status)) {
    reasons.push(`status ${quote(status)} is not one of ${CARE_REQUEST_STATUSES.join(', ')}`);
  }
  let lastUpdated: Date | null | undefined;
  if ('lastUpdated' in raw) {
    const text = str(raw, 'lastUpdated', '', false);
    if (text === null) lastUpdated = null;
    else if (typeof text === 'string') {
      lastUpdated = parseInstant(text);
      if (!lastUpdated)
        reasons.push(`lastUpdated ${quote(text)} is not a valid ISO-8601 instant with a zone, e.g. 2026-02-06T01:18:32.180Z`);
    }
  }

  let patient: ImportPatient | undefined;
  if (!isObject(raw.patient)) reasons.push('patient is required and must be an object');
  else {
    const p = raw.patient;
    unknownKeys(p, PATIENT_KEYS, 'patient.');
    const dobText = str(p, 'dateOfBirth', 'patient.', true);
    const dateOfBirth = typeof dobText === 'string' ? parseCalendarDate(dobText) : null;
    if (typeof dobText === 'string' && !dateOfBirth)
      reasons.push(`patient.dateOfBirth ${quote(dobText)} is not a calendar date YYYY-MM-DD`);
    const sex = str(p, 'sex', 'patient.', true);
    if (typeof sex === 'string' && !isSexCode(sex)) reasons.push(`patient.sex ${quote(sex)} is not one of ${SEX_CODES.join(', ')}`);
    let address: ImportAddress | null | undefined;
    if (p.address !== undefined && p.address !== null) {
      if (!isObject(p.address)) reasons.push('patient.address must be an object');
      else {
        unknownKeys(p.address, ADDRESS_KEYS, 'patient.address.');
        address = {
          line1: str(p.address, 'line1', 'patient.address.', false),
          city: str(p.address, 'city', 'patient.address.', false),
          state: str(p.address, 'state', 'patient.address.', false),
          postalCode: str(p.address, 'postalCode', 'patient.address.', false),
        };
      }
    } else address = p.address as null | undefined;
    const fields = {
      id: str(p, 'id', 'patient.', true),
      givenName: str(p, 'givenName', 'patient.', true),
      middleName: str(p, 'middleName', 'patient.', false),
      familyName: str(p, 'familyName', 'patient.', true),
      ssn: str(p, 'ssn', 'patient.', false),
      memberId: str(p, 'memberId', 'patient.', false),
    };
    if (
      typeof fields.id === 'string' &&
      typeof fields.givenName === 'string' &&
      typeof fields.familyName === 'string' &&
      dateOfBirth &&
      typeof sex === 'string'
    ) {
      patient = {
        ...fields,
        id: fields.id,
        givenName: fields.givenName,
        familyName: fields.familyName,
        ssn: normaliseSsn(fields.ssn),
        dateOfBirth,
        sex: sex as Sex,
        address,
      };
    }
  }

  if (reasons.length > 0 || !patient || typeof id !== 'string' || !createdAt || typeof status !== 'string') {
    return { ok: false, reasons: reasons.length ? reasons : ['the record is incomplete'] };
  }
  const record: ImportRecord = { id, createdAt, status: status as CareRequestStatus, patient };
  if ('lastUpdated' in raw) record.lastUpdated = lastUpdated;
  const semantic = checkImportRecord(record, now);
  return semantic.length ? { ok: false, reasons: semantic } : { ok: true, record };
}
