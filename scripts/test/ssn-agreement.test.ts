/**
 * One SSN rule (`@care-graph/person`) for every way an SSN comes in: care-request imports, roster files and
 * matching. A repository-level test because it spans three workspaces.
 */
import { normaliseSsn, parseImportRecord } from '@care-graph/care-request-import';
import { normalize } from '@care-graph/matching';
import { parseSsn } from '@care-graph/person';
import { PLACEHOLDER_SSNS as PLACEHOLDERS, REAL_SSNS as REAL } from '../../packages/person/test/ssn-examples';
import { parseRow } from '../../subgraphs/pop-health/src/roster-ingestion/roster-file';
import { ROSTER_HEADER } from '../../subgraphs/pop-health/src/roster-patient-fields';

/** What each way in makes of one SSN as written: the stored/compared value, or 'invalid'. */
function throughImport(text: string): string | null | 'invalid' {
  const now = new Date('2026-06-01T00:00:00Z');
  const record = {
    id: 'cr',
    createdAt: '2026-01-01T00:00:00Z',
    status: 'COMPLETED',
    patient: { id: 'pt', givenName: 'Ann', familyName: 'Lee', dateOfBirth: '1950-06-05', sex: 'F', ssn: text },
  };
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
  return parsed.patient.ssn;
}

const throughMatching = (text: string) =>
  normalize({ id: 'x', givenName: 'Ann', familyName: 'Lee', dateOfBirth: '1950-06-05', ssn: text }).ssn;

describe('the SSN rule across imports, roster files and matching', () => {
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
