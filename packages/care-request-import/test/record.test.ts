import { Readable } from 'node:stream';
import { parseImportRecord, readNdjson } from '../src';

const now = new Date('2026-11-01T00:00:00Z');
const valid = () => ({
  id: 'cr-1',
  createdAt: '2026-02-06T01:18:32.180Z',
  status: 'COMPLETED',
  lastUpdated: '2026-02-07T00:00:00.000Z',
  patient: {
    id: 'pt-9', givenName: 'Ann', middleName: null, familyName: 'Lee', dateOfBirth: '1950-06-05', sex: 'F',
    ssn: '123456789', memberId: 'M1', address: { line1: '1 Main St', city: 'Denver', state: 'CO', postalCode: '80201' },
  },
});

describe('parseImportRecord', () => {
  it('accepts the contract example', () => {
    const result = parseImportRecord(valid(), now);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.record.lastUpdated?.toISOString()).toBe('2026-02-07T00:00:00.000Z');
      expect(result.record.patient.dateOfBirth.toISOString()).toBe('1950-06-05T00:00:00.000Z');
    }
  });

  it('keeps the difference between lastUpdated absent (load time) and null (legacy)', () => {
    const absent = valid() as Record<string, unknown>;
    delete absent.lastUpdated;
    const nulled = { ...valid(), lastUpdated: null };
    const a = parseImportRecord(absent, now);
    const n = parseImportRecord(nulled, now);
    expect(a.ok && 'lastUpdated' in a.record).toBe(false);
    expect(n.ok && n.record.lastUpdated).toBeNull();
  });

  it('removes dashes from SSNs and treats an empty one as missing', () => {
    const dashed = parseImportRecord({ ...valid(), patient: { ...valid().patient, ssn: '123-45-6780' } }, now);
    const empty = parseImportRecord({ ...valid(), patient: { ...valid().patient, ssn: '' } }, now);
    expect(dashed.ok && dashed.record.patient.ssn).toBe('123456780');
    expect(empty.ok && empty.record.patient.ssn).toBeNull();
  });

  it.each([
    ['a bad instant', { createdAt: '2026-02-30T00:00:00Z' }, 'createdAt "2026-02-30T00:00:00Z" is not a valid ISO-8601 instant'],
    ['an unknown status', { status: 'DONE' }, 'status "DONE" is not one of'],
    ['a missing id', { id: undefined }, 'id is required'],
    ['an unknown field', { colour: 'blue' }, 'unknown field colour'],
    ['a future lastUpdated', { lastUpdated: '2027-01-01T00:00:00Z' }, 'lastUpdated is in the future'],
  ])('rejects %s', (_label, change, reason) => {
    const result = parseImportRecord({ ...valid(), ...change }, now);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reasons.join('; ')).toContain(reason);
  });

  it.each([
    ['an empty given name', { givenName: '  ' }, 'patient.givenName must not be empty'],
    ['an unknown sex code', { sex: 'X' }, 'patient.sex "X" is not one of F, M, O, U'],
    ['a short SSN', { ssn: '12345' }, 'patient.ssn must be 9 digits'],
    ['a future birth date', { dateOfBirth: '2030-01-01' }, 'patient.dateOfBirth is in the future'],
    ['a bad birth date', { dateOfBirth: '1950-13-01' }, 'patient.dateOfBirth "1950-13-01" is not a calendar date'],
  ])('rejects a patient with %s', (_label, change, reason) => {
    const result = parseImportRecord({ ...valid(), patient: { ...valid().patient, ...change } }, now);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reasons.join('; ')).toContain(reason);
  });

  it('reports every problem of a record at once', () => {
    const result = parseImportRecord({ ...valid(), status: 'DONE', patient: { ...valid().patient, givenName: '', sex: 'X' } }, now);
    expect(!result.ok && result.reasons).toEqual(
      expect.arrayContaining([expect.stringContaining('status'), expect.stringContaining('givenName'), expect.stringContaining('sex')]),
    );
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
