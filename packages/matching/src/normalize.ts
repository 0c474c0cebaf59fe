/// <reference path="./talisman.d.ts" />
/**
 * Normalisation: the same person written by two systems should come out the same. Case, diacritics,
 * punctuation, extra spaces, name suffixes, SSN placeholders and street abbreviations are smoothed away here,
 * once per record, so that comparing is cheap.
 */
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
}

const SPECIAL_LETTERS: Record<string, string> = { ß: 'ss', ø: 'o', æ: 'ae', œ: 'oe', ł: 'l', đ: 'd', þ: 'th', ı: 'i' };
const SUFFIXES = new Set(['jr', 'sr', 'ii', 'iii', 'iv', 'v', 'md', 'phd', 'esq']);
const PARTICLES = new Set(['van', 'von', 'der', 'den', 'de', 'del', 'della', 'la', 'le', 'da', 'di', 'du', 'dos', 'das', 'st', 'saint', 'mac', 'y']);

const PLAIN = /^[A-Za-z0-9]+(?: [A-Za-z0-9]+)*$/;

/** Lower-case ASCII letters and single spaces: diacritics and punctuation removed, hyphens become spaces. */
export function foldText(value: string | null | undefined): string {
  if (!value) return '';
  // Most values are plain ASCII words with single spaces: for them, the steps below only lower the case.
  if (PLAIN.test(value)) return value.toLowerCase();
  return value
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[ßøæœłđþı]/g, (ch) => SPECIAL_LETTERS[ch])
    .replace(/['’`.]/g, '') // O'Brien → obrien, St. → st
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

function nameTokens(value: string | null | undefined): string[] {
  return foldText(value)
    .split(' ')
    .filter((token) => token !== '' && !SUFFIXES.has(token) && !/^\d+$/.test(token));
}

/** Placeholder SSNs that systems put in when they have none: treated as missing. */
export function usableSsn(value: string | null | undefined): string | null {
  const digits = (value ?? '').replace(/\D/g, '');
  if (digits.length !== 9) return null;
  if (/^(\d)\1{8}$/.test(digits) || digits === '123456789' || digits === '078051120') return null;
  // Never issued: area 000, 666 or 9xx; group 00; serial 0000.
  if (/^(000|666|9)/.test(digits) || digits.slice(3, 5) === '00' || digits.slice(5) === '0000') return null;
  return digits;
}

const STREET_WORDS: Record<string, string> = {
  street: 'st', avenue: 'ave', av: 'ave', boulevard: 'blvd', road: 'rd', drive: 'dr', lane: 'ln', court: 'ct',
  place: 'pl', terrace: 'ter', highway: 'hwy', parkway: 'pkwy', circle: 'cir', square: 'sq', north: 'n', south: 's',
  east: 'e', west: 'w', apartment: 'apt', suite: 'ste', unit: 'apt',
};

export function normaliseStreet(line: string | null | undefined): string | null {
  const folded = foldText(line);
  if (!folded) return null;
  return folded
    .split(' ')
    .map((word) => STREET_WORDS[word] ?? word)
    .join(' ');
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

export function normalize(person: PersonInput): NormalizedPerson {
  const given = nameTokens(person.givenName);
  const familyAll = nameTokens(person.familyName);
  const significant = familyAll.filter((token) => !PARTICLES.has(token));
  const familyTokens = significant.length ? significant : familyAll;
  const middle = nameTokens(person.middleName)[0] ?? null;
  const dob = /^\d{4}-\d{2}-\d{2}$/.test(person.dateOfBirth) ? person.dateOfBirth : null;
  const sex = person.sex === 'F' || person.sex === 'M' ? person.sex : null;
  const memberId = (person.memberId ?? '').toUpperCase().replace(/[^A-Z0-9]/g, '') || null;
  const zip = (person.postalCode ?? '').replace(/\D/g, '');
  return {
    id: person.id,
    given,
    givenAll: given.join(''),
    middle,
    family: familyAll.join(''),
    familyTokens,
    givenPhonetic: phonetic(given[0] ?? ''),
    familyPhonetic: phonetic(familyTokens.join('')),
    dob,
    sex,
    ssn: usableSsn(person.ssn),
    memberId,
    street: normaliseStreet(person.addressLine1),
    zip5: zip.length >= 5 ? zip.slice(0, 5) : null,
    city: foldText(person.city) || null,
  };
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
  eachBlockingKey(p, (kind, a, b, c) => keys.push(c !== undefined ? `${kind}:${a}:${b}:${c}` : b !== undefined ? `${kind}:${a}:${b}` : `${kind}:${a}`));
  return keys;
}
