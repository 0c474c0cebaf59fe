/// <reference path="./talisman.d.ts" />
/**
 * Normalisation: the same person written by two systems should come out the same. Case, diacritics,
 * punctuation, extra spaces, name suffixes, SSN placeholders and street abbreviations are smoothed away here,
 * once per record, so that comparing is cheap.
 */

import { usableSsn } from '@care-graph/person';
import doubleMetaphone from 'talisman/phonetics/double-metaphone';
import { nicknameKeys } from './nicknames';

/** A person as the matcher receives them (a care-request patient or a roster member). */
export interface PersonInput {
  id: string;
  givenName: string;
  middleName?: string | null;
  familyName: string;
  /** YYYY-MM-DD */
  dateOfBirth: string;
  sex?: string | null;
  ssn?: string | null;
  memberId?: string | null;
  addressLine1?: string | null;
  city?: string | null;
  state?: string | null;
  postalCode?: string | null;
}

export interface NormalizedPerson {
  id: string;
  /** Given-name tokens ("mary ann" → ["mary", "ann"]); the first is the one compared. */
  given: string[];
  /** The given-name tokens joined ("mary ann" → "maryann"). */
  givenAll: string;
  middle: string | null;
  /** The family name joined without separators ("garcia lopez" → "garcialopez"). */
  family: string;
  /** Significant family-name tokens (particles such as "van", "de" dropped). */
  familyTokens: string[];
  givenPhonetic: string;
  familyPhonetic: string;
  /** YYYY-MM-DD, or null when unusable. */
  dob: string | null;
  sex: 'F' | 'M' | null;
  /** Nine digits, or null (missing or a placeholder such as 000000000). */
  ssn: string | null;
  memberId: string | null;
  street: string | null;
  zip5: string | null;
  city: string | null;
  /**
   * A roster member's frequency adjustments (log2 u / u(value), see frequencies.ts) for its given name,
   * family name, birth date, street and postal code; 0 until `RosterModel.annotate` sets them, and on queries.
   */
  givenFrequency: number;
  familyFrequency: number;
  dobFrequency: number;
  streetFrequency: number;
  zipFrequency: number;
}

const SPECIAL_LETTERS: Record<string, string> = { ß: 'ss', ø: 'o', æ: 'ae', œ: 'oe', ł: 'l', đ: 'd', þ: 'th', ı: 'i' };
const SUFFIXES = new Set(['jr', 'sr', 'ii', 'iii', 'iv', 'v', 'md', 'phd', 'esq']);
const PARTICLES = new Set([
  'van',
  'von',
  'der',
  'den',
  'de',
  'del',
  'della',
  'la',
  'le',
  'da',
  'di',
  'du',
  'dos',
  'das',
  'st',
  'saint',
  'mac',
  'y',
]);

// Normalising runs for every person of every batch, and most values are already plain (ASCII words, single
// spaces; nine-digit SSNs; five-digit ZIP codes): each step checks for that by character codes first and
// only then takes the general path (regular expressions, Unicode folding), which costs several times more.

const SPACE = 32;
const isDigitCode = (c: number) => c >= 48 && c <= 57;
const isUpperCode = (c: number) => c >= 65 && c <= 90;
const isLowerCode = (c: number) => c >= 97 && c <= 122;

/** ASCII letters and digits in words separated by single spaces, with no space at either end. */
function isPlain(value: string): boolean {
  let afterSpace = true;
  for (let i = 0; i < value.length; i += 1) {
    const c = value.charCodeAt(i);
    if (c === SPACE) {
      if (afterSpace) return false;
      afterSpace = true;
    } else if (isDigitCode(c) || isUpperCode(c) || isLowerCode(c)) {
      afterSpace = false;
    } else {
      return false;
    }
  }
  return !afterSpace;
}

/** Only the characters `accepts` takes (and at least one). */
function only(value: string, accepts: (c: number) => boolean): boolean {
  for (let i = 0; i < value.length; i += 1) if (!accepts(value.charCodeAt(i))) return false;
  return value.length > 0;
}

const isDigits = (value: string) => only(value, isDigitCode);

/** Lower-case ASCII letters and single spaces: diacritics and punctuation removed, hyphens become spaces. */
export function foldText(value: string | null | undefined): string {
  if (!value) return '';
  if (isPlain(value)) return value.toLowerCase();
  return value
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[ßøæœłđþı]/g, (ch) => SPECIAL_LETTERS[ch])
    .replace(/['’`.]/g, '') // O'Brien → obrien, St. → st
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

const isNameToken = (token: string) => token !== '' && !SUFFIXES.has(token) && !isDigits(token);

function nameTokens(value: string | null | undefined): string[] {
  const folded = foldText(value);
  if (!folded.includes(' ')) return isNameToken(folded) ? [folded] : [];
  return folded.split(' ').filter(isNameToken);
}

const STREET_WORDS = new Map(
  Object.entries({
    street: 'st',
    avenue: 'ave',
    av: 'ave',
    boulevard: 'blvd',
    road: 'rd',
    drive: 'dr',
    lane: 'ln',
    court: 'ct',
    place: 'pl',
    terrace: 'ter',
    highway: 'hwy',
    parkway: 'pkwy',
    circle: 'cir',
    square: 'sq',
    north: 'n',
    south: 's',
    east: 'e',
    west: 'w',
    apartment: 'apt',
    suite: 'ste',
    unit: 'apt',
  }),
);

export function normaliseStreet(line: string | null | undefined): string | null {
  const folded = foldText(line);
  if (!folded) return null;
  const words = folded.split(' ');
  let changed = false;
  for (let i = 0; i < words.length; i += 1) {
    const short = STREET_WORDS.get(words[i]);
    if (short !== undefined) {
      words[i] = short;
      changed = true;
    }
  }
  return changed ? words.join(' ') : folded;
}

/** Upper-case letters and digits only: "m-001" → "M001". */
function memberIdOf(value: string | null | undefined): string | null {
  if (!value) return null;
  if (only(value, (c) => isDigitCode(c) || isUpperCode(c))) return value;
  return value.toUpperCase().replace(/[^A-Z0-9]/g, '') || null;
}

/** The first five digits of a postal code ("80201-1234" → "80201"), or null. */
function zip5Of(value: string | null | undefined): string | null {
  if (!value) return null;
  const digits = isDigits(value) ? value : value.replace(/\D/g, '');
  if (digits.length < 5) return null;
  return digits.length === 5 ? digits : digits.slice(0, 5);
}

/** `YYYY-MM-DD` in shape (the value is compared as text, not as a calendar day). */
function isDateShape(value: string): boolean {
  if (value.length !== 10) return false;
  for (let i = 0; i < 10; i += 1) {
    const c = value.charCodeAt(i);
    if (i === 4 || i === 7 ? c !== 45 : !isDigitCode(c)) return false;
  }
  return true;
}

// Names repeat a great deal across a roster, and Double Metaphone is the costliest step of normalising:
// remember codes already computed (bounded, so that a stream of unique names cannot grow it without end).
const phoneticCache = new Map<string, string>();
function phonetic(token: string): string {
  if (!token) return '';
  let code = phoneticCache.get(token);
  if (code === undefined) {
    code = doubleMetaphone(token)[0];
    if (phoneticCache.size >= 200_000) phoneticCache.clear();
    phoneticCache.set(token, code);
  }
  return code;
}

/**
 * A class rather than an object literal, for the garbage collector's sake: V8 watches each object literal
 * and, once nearly all the objects it makes outlive a young-generation collection, allocates its later
 * objects straight in the old generation. A roster's members are normalised first and kept, which would
 * decide that for every care request normalised after them; each query's short-lived parts (tokens,
 * strings) would then be held by an old object and survive every young collection until a full one.
 * Objects made with `new` carry no such feedback. Measured on 100,000 members (bench/matching.ts): the
 * collector's time per 200,000 patients fell from about 300 ms to 30 ms.
 */
class Person implements NormalizedPerson {
  givenFrequency = 0;
  familyFrequency = 0;
  dobFrequency = 0;
  streetFrequency = 0;
  zipFrequency = 0;
  constructor(
    public id: string,
    public given: string[],
    public givenAll: string,
    public middle: string | null,
    public family: string,
    public familyTokens: string[],
    public givenPhonetic: string,
    public familyPhonetic: string,
    public dob: string | null,
    public sex: 'F' | 'M' | null,
    public ssn: string | null,
    public memberId: string | null,
    public street: string | null,
    public zip5: string | null,
    public city: string | null,
  ) {}
}

export function normalize(person: PersonInput): NormalizedPerson {
  const given = nameTokens(person.givenName);
  const familyAll = nameTokens(person.familyName);
  const significant = familyAll.filter((token) => !PARTICLES.has(token));
  const familyTokens = significant.length ? significant : familyAll;
  const middle = nameTokens(person.middleName)[0] ?? null;
  const dob = isDateShape(person.dateOfBirth) ? person.dateOfBirth : null;
  const sex = person.sex === 'F' || person.sex === 'M' ? person.sex : null;
  return new Person(
    person.id,
    given,
    given.join(''),
    middle,
    familyAll.join(''),
    familyTokens,
    phonetic(given[0] ?? ''),
    phonetic(familyTokens.join('')),
    dob,
    sex,
    usableSsn(person.ssn),
    memberIdOf(person.memberId),
    normaliseStreet(person.addressLine1),
    zip5Of(person.postalCode),
    foldText(person.city) || null,
  );
}

/** The kinds of blocking key; a key is written `kind:part:part…`. */
export type BlockingKeyKind = 'ssn' | 'mid' | 'dob-fam' | 'dob-giv' | 'names-yob' | 'names' | 'dob-zip';

/** Receives one blocking key as its kind and parts (one to three). */
export type BlockingKeySink = (kind: BlockingKeyKind, a: string, b?: string, c?: string) => void;

/**
 * Blocking keys: cheap exact keys under which candidates are looked up. Several independent keys, so that
 * a single typo or change (a misspelt surname, a swapped birth date, a new married name, a missing SSN)
 * still leaves at least one key in common with the true record.
 *
 * The keys are handed over in parts, each once and always in this order: the in-memory index hashes the
 * parts without writing the key out (see memory-index.ts); `blockingKeys` writes them out.
 */
export function eachBlockingKey(p: NormalizedPerson, emit: BlockingKeySink): void {
  if (p.ssn) emit('ssn', p.ssn);
  if (p.memberId) emit('mid', p.memberId);
  const given = p.given[0];
  const formals = given ? nicknameKeys(given) : [];
  if (p.dob && p.familyPhonetic) emit('dob-fam', p.dob, p.familyPhonetic);
  if (p.dob) {
    // The first two letters of each formal name: "christopher" and "christine" share theirs.
    for (let i = 0; i < formals.length; i += 1) {
      const prefix = formals[i].slice(0, 2);
      let repeated = false;
      for (let j = 0; j < i; j += 1) repeated ||= formals[j].startsWith(prefix);
      if (!repeated) emit('dob-giv', p.dob, prefix);
    }
  }
  if (p.dob && p.familyPhonetic && p.givenPhonetic) emit('names-yob', p.familyPhonetic, p.givenPhonetic, p.dob.slice(0, 4));
  if (p.familyPhonetic) for (const formal of formals) emit('names', p.familyPhonetic, formal);
  if (p.dob && p.zip5) emit('dob-zip', p.dob, p.zip5);
}

/** The blocking keys written out, e.g. `dob-fam:1980-04-02:KRS` (as the Elasticsearch index stores them). */
export function blockingKeys(p: NormalizedPerson): string[] {
  const keys: string[] = [];
  eachBlockingKey(p, (kind, a, b, c) =>
    keys.push(c !== undefined ? `${kind}:${a}:${b}:${c}` : b !== undefined ? `${kind}:${a}:${b}` : `${kind}:${a}`),
  );
  return keys;
}
