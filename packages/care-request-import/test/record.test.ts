import { Readable } from 'node:stream';
import { type ImportRecord, parseImportRecord, readNdjson } from '../src';

const now = new Date('2026-11-01T00:00:00Z');
const valid = () => ({
  id: 'cr-1',
  createdAt: '2026-02-06T01:18:32.180Z',
  status: 'COMPLETED',
  lastUpdated: '2026-02-07T00:00:00.000Z',
  patient: {
    id: 'pt-9',
    givenName: 'Ann',
    middleName: null,
    familyName: 'Lee',
    dateOfBirth: '1950-06-05',
    sex: 'F',
    ssn: '123456789',
    memberId: 'M1',
    address: { line1: '1 Main St', city: 'Denver', state: 'CO', postalCode: '80201' },
  },
});

/** Parses `raw`, failing the test with the reasons unless it is accepted. */
function accepted(raw: unknown): ImportRecord {
  const result = parseImportRecord(raw, now);
  if (!result.ok) throw new Error(`expected the record to be accepted; rejected: ${result.reasons.join('; ')}`);
  return result.record;
}

describe('parseImportRecord', () => {
  it('accepts the contract example', () => {
    const record = accepted(valid());
    expect(record.lastUpdated?.toISOString()).toBe('2026-02-07T00:00:00.000Z');
    expect(record.patient.dateOfBirth.toISOString()).toBe('1950-06-05T00:00:00.000Z');
  });

  it('keeps the difference between lastUpdated absent (load time) and null (legacy)', () => {
    const absent = valid() as Record<string, unknown>;
    delete absent.lastUpdated;
    const withoutKey = accepted(absent);
    const legacy = accepted({ ...valid(), lastUpdated: null });
    expect(Object.keys(withoutKey)).not.toContain('lastUpdated');
    expect(Object.keys(legacy)).toContain('lastUpdated');
    expect(legacy.lastUpdated).toBeNull();
  });

  it('removes dashes from SSNs and treats an empty one as missing', () => {
    const dashed = accepted({ ...valid(), patient: { ...valid().patient, ssn: '123-45-6780' } });
    const empty = accepted({ ...valid(), patient: { ...valid().patient, ssn: '' } });
    expect(dashed.patient.ssn).toBe('123456780');
    expect(empty.patient.ssn).toBeNull();
  });

  it.each([
    ['a bad instant', { createdAt: '2026-02-30T00:00:00Z' }, 'createdAt "2026-02-30T00:00:00Z" is not a valid ISO-8601 instant'],
    ['an unknown status', { status: 'DONE' }, 'status "DONE" is not one of'],
    ['a missing id', { id: undefined }, 'id is required'],
    ['an unknown field', { colour: 'blue' }, 'unknown field "colour"'],
    ['a future lastUpdated', { lastUpdated: '2027-01-01T00:00:00Z' }, 'lastUpdated is in the future'],
  ])('rejects %s', (_label, change, reason) => {
    const result = parseImportRecord({ ...valid(), ...change }, now);
    expect(result).toEqual({ ok: false, reasons: expect.arrayContaining([expect.stringContaining(reason)]) });
  });

  it.each([
    ['an empty given name', { givenName: '  ' }, 'patient.givenName must not be empty'],
    ['an unknown sex code', { sex: 'X' }, 'patient.sex "X" is not one of F, M, O, U'],
    ['a short SSN', { ssn: '12345' }, 'patient.ssn must be 9 digits'],
    ['a future birth date', { dateOfBirth: '2030-01-01' }, 'patient.dateOfBirth is in the future'],
    ['a bad birth date', { dateOfBirth: '1950-13-01' }, 'patient.dateOfBirth "1950-13-01" is not a calendar date'],
  ])('rejects a patient with %s', (_label, change, reason) => {
    const result = parseImportRecord({ ...valid(), patient: { ...valid().patient, ...change } }, now);
    expect(result).toEqual({ ok: false, reasons: expect.arrayContaining([expect.stringContaining(reason)]) });
  });

  it('reports every problem of a record at once', () => {
    const result = parseImportRecord({ ...valid(), status: 'DONE', patient: { ...valid().patient, givenName: '', sex: 'X' } }, now);
    expect(result).toEqual({
      ok: false,
      reasons: expect.arrayContaining([
        expect.stringContaining('status'),
        expect.stringContaining('givenName'),
        expect.stringContaining('sex'),
      ]),
    });
  });

  it('rejects values that are not objects', () => {
    expect(parseImportRecord([1, 2], now)).toEqual({ ok: false, reasons: ['the line is not a JSON object'] });
  });
});

describe('readNdjson', () => {
  it('numbers lines like an editor, skips blank ones and flags bad JSON', async () => {
    const input = Readable.from(['{"a":1}\n', '\n', 'nope\n', '{"b":', '2}\r\n']);
    const lines = [];
    for await (const line of readNdjson(input)) lines.push(line);
    expect(lines).toEqual([
      { line: 1, value: { a: 1 } },
      { line: 3, error: expect.stringContaining('not valid JSON') },
      { line: 4, value: { b: 2 } },
    ]);
  });
});
