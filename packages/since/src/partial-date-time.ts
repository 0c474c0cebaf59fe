/**
 * FHIR search date values (`PartialDateTime`): a value of a given precision denotes the whole range of
 * instants of that precision, e.g. `2019-10-01` is [2019-10-01T00:00Z, 2019-10-02T00:00Z).
 */

import { quote } from '@care-graph/limits';

/** [start, end) in epoch milliseconds. */
export interface InstantRange {
  start: number;
  end: number;
}

const FORMS = 'Use YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss[.sss]][Z|±hh:mm].';

export class PartialDateTimeError extends Error {
  constructor(
    readonly value: string,
    /** Why, without the value or the accepted forms (to re-wrap the error with a prefix). */
    readonly reason: string,
    prefix = '',
  ) {
    super(`${prefix}${quote(value)} is not a valid PartialDateTime: ${reason}. ${FORMS}`);
    this.name = 'PartialDateTimeError';
  }
}

// Minutes are optional here only so that `T12Z` gets a precise message rather than "not a supported form".
const PATTERN = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const daysInMonth = (year: number, month: number) => (month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31);

/** Parses a search value into the range it denotes; throws PartialDateTimeError naming the value. */
export function parsePartialDateTime(value: string): InstantRange {
  const fail = (reason: string): never => {
    throw new PartialDateTimeError(value, reason);
  };
  if (typeof value !== 'string') fail('it is not a string');
  if (value === '') fail('it is empty');
  const m = PATTERN.exec(value);
  if (!m) return fail('it is not in a supported form');
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  if (year < 1) fail('the year must be 0001–9999');
  const month = mo === undefined ? 1 : Number(mo);
  if (month < 1 || month > 12) fail('month must be 01–12');
  const day = d === undefined ? 1 : Number(d);
  if (day < 1 || day > daysInMonth(year, month)) fail(`${y}-${mo} has no day ${d}`);
  if (h !== undefined && mi === undefined) fail('an hour needs minutes (hh:mm)');
  const hour = h === undefined ? 0 : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (hour > 23) fail('hours must be 00–23');
  if (minute > 59) fail('minutes must be 00–59');
  if (second > 59) fail('seconds must be 00–59');
  if (frac !== undefined && frac.length > 3) fail('at most millisecond precision (three fractional digits) is supported');
  let offsetMinutes = 0;
  if (zone !== undefined && zone !== 'Z') {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (om > 59) fail('zone minutes must be 00–59');
    if (oh * 60 + om > 14 * 60) fail('zone offsets range from -14:00 to +14:00');
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }

  const fracMs = frac === undefined ? 0 : Number(frac.padEnd(3, '0'));
  // Date.UTC treats years 0–99 as 1900–1999; setUTCFullYear does not.
  const at = (yy: number, mm: number, dd: number, hh: number, mn: number, ss: number, ms: number) => {
    const date = new Date(Date.UTC(2000, 0, 1, hh, mn, ss, ms));
    date.setUTCFullYear(yy, mm - 1, dd);
    return date.getTime() - offsetMinutes * 60_000;
  };
  const start = at(year, month, day, hour, minute, second, fracMs);
  let end: number;
  if (mo === undefined) end = at(year + 1, 1, 1, 0, 0, 0, 0);
  else if (d === undefined) end = month === 12 ? at(year + 1, 1, 1, 0, 0, 0, 0) : at(year, month + 1, 1, 0, 0, 0, 0);
  else if (h === undefined) end = start + 24 * 3600_000;
  else if (s === undefined) end = start + 60_000;
  else if (frac === undefined) end = start + 1000;
  else end = start + 10 ** (3 - frac.length);
  return { start, end };
}
