/**
 * Strict ISO-8601 parsing. `new Date(text)` accepts far too much (`"2026-02-30"` rolls into March,
 * `"1 May 2026"` parses); these accept only the forms the API documents and real calendar days.
 */

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):(\d{2}))$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isCalendarDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]);
}

/** Midnight UTC of a day; years 0–99 are themselves (`Date.UTC` would read them as 1900–1999). */
function utcDay(year: number, month: number, day: number): Date {
  const date = new Date(Date.UTC(year, month - 1, day));
  if (year < 100) date.setUTCFullYear(year);
  return date;
}

/** `2026-02-06T01:18:32.180Z`, `…T01:18Z`, `…T03:18:32+02:00` → Date; anything else → null. */
export function parseInstant(text: string): Date | null {
  const m = INSTANT.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (!isCalendarDay(year, month, day) || hour > 23 || minute > 59 || second > 59) return null;
  const ms = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  let offsetMinutes = 0;
  if (m[8] !== 'Z') {
    const [oh, om] = [Number(m[10]), Number(m[11])];
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000);
}

const ZERO = 48;
const DASH = 45;

/** The number written by the ASCII digits of `text` from `from` to `to` (exclusive); NaN if one is not a digit. */
function digits(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i += 1) {
    const digit = text.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * `YYYY-MM-DD` of a real calendar day → midnight UTC of it; anything else → null. Read character by
 * character: this runs for every date of every batch (a regular expression and `Date` arithmetic cost
 * several times more: bench/RESULTS.md, "time").
 */
export function parseCalendarDate(text: string): Date | null {
  if (text.length !== 10 || text.charCodeAt(4) !== DASH || text.charCodeAt(7) !== DASH) return null;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 7);
  const day = digits(text, 8, 10);
  if (Number.isNaN(year) || !isCalendarDay(year, month, day)) return null;
  return utcDay(year, month, day);
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** Midnight-UTC Date → `YYYY-MM-DD` (built from its parts: `toISOString` costs ~6× as much). */
export function formatCalendarDate(date: Date): string {
  const year = date.getUTCFullYear();
  // Years outside 1000–9999 (and invalid dates, which throw) take the standard path.
  if (!(year >= 1000 && year <= 9999)) return date.toISOString().slice(0, 10);
  return `${year}-${pad2(date.getUTCMonth() + 1)}-${pad2(date.getUTCDate())}`;
}
