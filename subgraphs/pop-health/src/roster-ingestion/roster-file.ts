/**
 * Roster files ("pop health files"): CSV with the contract's header, one roster patient per row. Each row is
 * checked on its own: a bad row is rejected with its line number and reason and the good rows are kept;
 * a file whose header is wrong, or that is not CSV at all, fails as a whole.
 */

import { fieldFault, quote } from '@care-graph/limits';
import { isSexCode, parseSsn, type Sex } from '@care-graph/person';
import { parseCalendarDate } from '@care-graph/time';
import { ROSTER_HEADER, ROSTER_PATIENT_FIELDS } from '../roster-patient-fields';

/** The file's columns with the field each fills, in file order: a cell is held to its field's text rule. */
const FILE_FIELDS = ROSTER_PATIENT_FIELDS.flatMap((field) => (field.fileColumn === null ? [] : [field]));

/** How many rejected rows a roster keeps with their reasons (the counts cover all of them). */
export const MAX_REJECTIONS_KEPT = 100;

/** A roster patient as read from one row of the file: checked, not yet stored (no id). */
export interface ParsedRosterPatient {
  memberId: string;
  givenName: string;
  middleName: string | null;
  familyName: string;
  dateOfBirth: Date;
  sex: Sex;
  ssn: string | null;
  addressLine1: string | null;
  city: string | null;
  state: string | null;
  postalCode: string | null;
}

export interface RowRejection {
  line: number;
  memberId: string | null;
  reason: string;
}

/** Thrown when the file as a whole cannot be read as a roster. */
export class RosterFileError extends Error {}

/** Checks the header row; throws RosterFileError with the expected header when it differs. */
export function checkHeader(columns: string[]): void {
  const found = columns.map((c) =>
    c
      .trim()
      .toLowerCase()
      .replace(/^\uFEFF/, ''),
  );
  if (found.length !== ROSTER_HEADER.length || found.some((c, i) => c !== ROSTER_HEADER[i])) {
    throw new RosterFileError(
      `The roster's first line must be the header "${ROSTER_HEADER.join(',')}"; found ${quote(columns.join(','))}. ` +
        'Send a CSV file with exactly these columns, in this order.',
    );
  }
}

const text = (value: string | undefined) => {
  const trimmed = (value ?? '').trim().replace(/\s+/g, ' ');
  return trimmed === '' ? null : trimmed;
};

/**
 * Validates one data row (`line` counts from 1, the header being line 1). `seen` holds the member ids
 * accepted so far in this file: a repeated member id is rejected, the first occurrence is kept. Cells are
 * read in ROSTER_HEADER's order (the consistency test checks that each lands in its declared field).
 */
export function parseRow(cells: string[], line: number, seen: Set<string>): { patient: ParsedRosterPatient } | { rejection: RowRejection } {
  // A member id is kept with the rejection only when it is itself acceptable (never 1 MB of it, never a NUL).
  const memberId = cells[0] !== undefined && fieldFault('memberId', cells[0]) === null ? text(cells[0]) : null;
  const reject = (reason: string) => ({ rejection: { line, memberId, reason } });
  if (cells.length !== ROSTER_HEADER.length) return reject(`expected ${ROSTER_HEADER.length} columns, found ${cells.length}`);
  for (let i = 0; i < FILE_FIELDS.length; i += 1) {
    const fault = fieldFault(FILE_FIELDS[i].name, cells[i]);
    if (fault) return reject(`${FILE_FIELDS[i].fileColumn} ${fault}`);
  }
  if (!memberId) return reject('member_id is empty');
  if (seen.has(memberId)) return reject(`duplicate member_id ${quote(memberId)} (the first row with it is kept)`);
  const givenName = text(cells[1]);
  const familyName = text(cells[3]);
  if (!givenName) return reject('first_name is empty');
  if (!familyName) return reject('last_name is empty');
  const dobText = text(cells[4]) ?? '';
  const dateOfBirth = parseCalendarDate(dobText);
  if (!dateOfBirth) return reject(`date_of_birth ${quote(dobText)} is not a calendar date YYYY-MM-DD`);
  if (dateOfBirth.getTime() > Date.now()) return reject('date_of_birth is in the future');
  const sex = (text(cells[5]) ?? '').toUpperCase();
  if (!isSexCode(sex)) return reject(`sex ${quote(cells[5])} is not one of F, M, O, U`);
  // Placeholders (000000000 and the like) are kept as "no SSN", not as a bad row.
  const ssn = parseSsn(text(cells[6]));
  if ('invalid' in ssn) return reject('ssn must be 9 digits (dashes allowed) or empty');
  seen.add(memberId);
  return {
    patient: {
      memberId,
      givenName,
      middleName: text(cells[2]),
      familyName,
      dateOfBirth,
      sex,
      ssn: ssn.ssn,
      addressLine1: text(cells[7]),
      city: text(cells[8]),
      state: text(cells[9]),
      postalCode: text(cells[10]),
    },
  };
}
