import { normaliseSsn, parseImportRecord } from '@care-graph/care-request-import';
import { normalize } from '@care-graph/matching';
import { parseRow, ROSTER_HEADER } from '../../../subgraphs/pop-health/src/roster-file';
import { SEX_CODES, Sex, isSexCode, parseSsn, usableSsn } from '../src';

const PLACEHOLDERS = ['000000000', '111111111', '999999999', '123456789', '078051120', '000123456', '666123456', '912345678', '123001234', '123450000'];
const REAL = ['123456780', '078051121', '665123456'];

/** What each way in makes of one SSN as written: the stored/compared value, or 'invalid'. */
function throughImport(text: string): string | null | 'invalid' {
  const now = new Date('2026-06-01T00:00:00Z');
  const record = { id: 'cr', createdAt: '2026-01-01T00:00:00Z', status: 'COMPLETED', patient: { id: 'pt', givenName: 'Ann', familyName: 'Lee', dateOfBirth: '1950-06-05', sex: 'F', ssn: text } };
  const result = parseImportRecord(record, now);
  if (!result.ok) {
    expect(result.reasons).toEqual(['patient.ssn must be 9 digits (dashes are removed first)']);
    return 'invalid';
  }
  return result.record.patient.ssn ?? null;
}

function throughRoster(text: string): string | null | 'invalid' {
  const cells = ['M1', 'Ann', '', 'Lee', '1950-06-05', 'F', text, '', '', '', ''];
  expect(cells).toHaveLength(ROSTER_HEADER.length);
  const parsed = parseRow(cells, 2, new Set());
  if ('rejection' in parsed) {
    expect(parsed.rejection.reason).toBe('ssn must be 9 digits (dashes allowed) or empty');
    return 'invalid';
  }
  return parsed.row.ssn;
}

const throughMatching = (text: string) => normalize({ id: 'x', givenName: 'Ann', familyName: 'Lee', dateOfBirth: '1950-06-05', ssn: text }).ssn;

describe('the SSN rule', () => {
  it.each(REAL)('keeps the real-looking %s as nine digits, also written with dashes or spaces', (ssn) => {
    for (const written of [ssn, `${ssn.slice(0, 3)}-${ssn.slice(3, 5)}-${ssn.slice(5)}`, ` ${ssn.slice(0, 3)} ${ssn.slice(3, 5)} ${ssn.slice(5)} `]) {
      expect(parseSsn(written)).toEqual({ ssn });
      expect(usableSsn(written)).toBe(ssn);
    }
  });

  it.each(PLACEHOLDERS)('takes the placeholder %s as no SSN', (ssn) => {
    expect(parseSsn(ssn)).toEqual({ ssn: null });
    expect(parseSsn(`${ssn.slice(0, 3)}-${ssn.slice(3, 5)}-${ssn.slice(5)}`)).toEqual({ ssn: null });
  });

  it.each([null, undefined, '', '  ', '--'])('takes %j as no SSN', (text) => {
    expect(parseSsn(text)).toEqual({ ssn: null });
  });

  it.each(['12345', '1234567890', '12-34', '123.45.6780', '12345678O', '１２３４５６７８０'])('finds %j invalid', (text) => {
    expect(parseSsn(text)).toEqual({ invalid: true });
    expect(usableSsn(text)).toBeNull();
  });

  it('is the same rule for imports, roster files and matching', () => {
    for (const text of [...REAL, ...PLACEHOLDERS, '123-45-6780', '', '12-34', '1234567890']) {
      const rule = parseSsn(text);
      const expected = 'invalid' in rule ? 'invalid' : rule.ssn;
      expect({ text, import: throughImport(text), roster: throughRoster(text) }).toEqual({ text, import: expected, roster: expected });
      // Matching takes stored values: whatever is not a usable SSN is none.
      expect({ text, matching: throughMatching(text) }).toEqual({ text, matching: expected === 'invalid' ? null : expected });
    }
  });

  it('leaves an invalid SSN as sent for the import to reject, and an absent one absent', () => {
    expect(normaliseSsn('12-34')).toBe('12-34');
    expect(normaliseSsn(undefined)).toBeUndefined();
    expect(normaliseSsn(null)).toBeNull();
  });
});

describe('sex codes', () => {
  it('are F, M, O and U, exactly', () => {
    expect(SEX_CODES).toEqual(['F', 'M', 'O', 'U']);
    expect(Sex.F).toBe('F');
    for (const code of SEX_CODES) expect(isSexCode(code)).toBe(true);
    for (const other of ['f', 'X', '', null, 1]) expect(isSexCode(other)).toBe(false);
  });
});
