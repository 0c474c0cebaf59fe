import { formatCalendarDate, parseCalendarDate, parseInstant } from '../src';

describe('parseInstant', () => {
  it.each([
    ['2026-02-06T01:18:32.180Z', '2026-02-06T01:18:32.180Z'],
    ['2026-02-06T01:18Z', '2026-02-06T01:18:00.000Z'],
    ['2026-02-06T01:18:32Z', '2026-02-06T01:18:32.000Z'],
    ['2026-02-06T03:18:32.180+02:00', '2026-02-06T01:18:32.180Z'],
    ['2026-02-05T20:18:32.180-05:00', '2026-02-06T01:18:32.180Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['2026-02-06T01:18:32.1234567Z', '2026-02-06T01:18:32.123Z'],
  ])('reads %s as %s', (text, iso) => {
    expect(parseInstant(text)?.toISOString()).toBe(iso);
  });

  it.each([
    '2026-02-30T00:00:00Z', // no such day
    '2025-02-29T00:00:00Z', // not a leap year
    '2026-13-01T00:00:00Z',
    '2026-02-06T24:00:00Z',
    '2026-02-06T01:60Z',
    '2026-02-06T01:18:32', // no zone
    '2026-02-06T01Z', // hour without minutes
    '2026-02-06',
    '6 Feb 2026',
    '',
  ])('rejects %j', (text) => {
    expect(parseInstant(text)).toBeNull();
  });
});

describe('parseCalendarDate', () => {
  it('reads a day as midnight UTC and writes it back', () => {
    const date = parseCalendarDate('1950-06-05');
    expect(date?.toISOString()).toBe('1950-06-05T00:00:00.000Z');
    expect(formatCalendarDate(date!)).toBe('1950-06-05');
  });

  it.each([
    '1950-02-30',
    '1950-6-5',
    '1950-06-05T00:00Z',
    '05/06/1950',
    '2023-02-29',
    '1950-00-10',
    '1950-13-01',
    '1950-04-31',
    '1950-06-00',
    '19a0-06-05',
    '1950-0b-05',
    '1950-06-0x',
    ' 950-06-05',
    '1950_06_05',
    '１９５０-06-05',
    '1950-06-05 ',
    '',
  ])('rejects %j', (text) => {
    expect(parseCalendarDate(text)).toBeNull();
  });

  it('reads and writes every day of a span of years exactly as the ISO form has it', () => {
    for (let time = Date.UTC(1899, 0, 1); time < Date.UTC(2101, 0, 1); time += 86_400_000) {
      const iso = new Date(time).toISOString().slice(0, 10);
      expect(parseCalendarDate(iso)?.getTime()).toBe(time);
      expect(formatCalendarDate(new Date(time))).toBe(iso);
    }
  });

  it('keeps years below 100 and above 9999 as they are', () => {
    expect(parseCalendarDate('0050-03-01')?.toISOString()).toBe('0050-03-01T00:00:00.000Z');
    expect(formatCalendarDate(parseCalendarDate('0050-03-01')!)).toBe('0050-03-01');
    expect(formatCalendarDate(parseCalendarDate('0999-12-31')!)).toBe('0999-12-31');
    const far = new Date(Date.UTC(12026, 0, 2));
    expect(formatCalendarDate(far)).toBe(far.toISOString().slice(0, 10)); // the standard path, as before
    expect(() => formatCalendarDate(new Date(Number.NaN))).toThrow(RangeError);
  });

  it('accepts 29 February in leap years only', () => {
    expect(parseCalendarDate('2024-02-29')).not.toBeNull();
    expect(parseCalendarDate('2000-02-29')).not.toBeNull();
    expect(parseCalendarDate('1900-02-29')).toBeNull();
  });
});
