/**
 * What text the API accepts, and how much of a bad value it says back.
 *
 * Every text value that reaches a service (GraphQL arguments, import records, roster cells) is held to one
 * rule: well-formed Unicode without control characters (PostgreSQL cannot store U+0000; a lone surrogate
 * would be stored as U+FFFD, silently changing the value), and no longer than the documented limit of its
 * kind. Messages about a bad value quote at most a short prefix of it, so that a 100 KB value is not
 * echoed back, stored as a reason or written to a log.
 */

/** The documented maximum length (in UTF-16 code units, as JavaScript counts) of each kind of text. */
export const TEXT_LIMITS = {
  /** Any id: care request, patient, partner, roster, backfill, data load. */
  id: 128,
  /** A partner's display name. */
  partnerName: 200,
  /** A person's given, middle or family name. */
  personName: 100,
  memberId: 64,
  /** An SSN as sent (nine digits, dashes allowed). */
  ssn: 11,
  addressLine: 200,
  city: 100,
  state: 50,
  postalCode: 20,
  /** A roster's file name. */
  fileName: 255,
  idempotencyKey: 200,
  /** A pagination cursor (`after`). */
  cursor: 512,
  /** Any other text argument. */
  other: 1000,
} as const;

export type TextKind = keyof typeof TEXT_LIMITS;

/**
 * The kind of text each field holds, by the field's name wherever it appears (GraphQL arguments and input
 * fields, import records); a name ending in `Id` is an id.
 */
const KIND_OF_NAME: Readonly<Record<string, TextKind>> = {
  id: 'id',
  name: 'partnerName',
  givenName: 'personName',
  middleName: 'personName',
  familyName: 'personName',
  memberId: 'memberId',
  ssn: 'ssn',
  line1: 'addressLine',
  addressLine1: 'addressLine',
  city: 'city',
  state: 'state',
  postalCode: 'postalCode',
  fileName: 'fileName',
  source: 'fileName',
  idempotencyKey: 'idempotencyKey',
  after: 'cursor',
};

/** The kind of text a field called `name` holds. */
export function textKindOf(name: string): TextKind {
  return KIND_OF_NAME[name] ?? (name.endsWith('Id') ? 'id' : 'other');
}

/** How many characters of a bad value a message quotes. */
export const QUOTED_PREFIX = 40;

/**
 * C0 controls but tab, line feed and carriage return, and DEL (never meaningful in a stored field), or a
 * surrogate without its pair. One pass: this runs on every cell of every roster row.
 */
const BAD_CHARACTER =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this expression's purpose.
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why `value` is not acceptable text of at most `maxLength` characters ("contains …", "is longer than …",
 * to follow the field's name), or null when it is. The value itself is never part of the answer.
 */
export function textFault(value: string, maxLength: number): string | null {
  if (value.length > maxLength) return `is longer than ${maxLength} characters`;
  const bad = BAD_CHARACTER.exec(value);
  if (!bad) return null;
  const code = bad[0].charCodeAt(0);
  if (code >= 0xd800) return 'is not well-formed Unicode (it holds a lone surrogate)';
  return `contains the control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** `textFault` of `value` as the text of a field called `name` (its kind's limit, see `textKindOf`). */
export function fieldFault(name: string, value: string): string | null {
  return textFault(value, TEXT_LIMITS[textKindOf(name)]);
}

/** `value` in double quotes, cut to its first QUOTED_PREFIX characters (then `…`) when longer. */
export function quote(value: string): string {
  return `"${value.length > QUOTED_PREFIX ? `${value.slice(0, QUOTED_PREFIX)}…` : value}"`;
}

/** Longest message a client gets back, whatever it quotes (the quoted values are cut first). */
const MAX_MESSAGE_LENGTH = 1000;

/**
 * `message` with every double-quoted run longer than QUOTED_PREFIX cut to its prefix (then `…`), and the
 * whole cut to MAX_MESSAGE_LENGTH: for messages written by libraries (graphql-js quotes the whole of a bad
 * variable value) as well as ours.
 */
export function boundEcho(message: string): string {
  const bounded = message.replace(/"((?:[^"\\]|\\.)*)"/g, (whole, inner: string) => (inner.length > QUOTED_PREFIX ? quote(inner) : whole));
  return bounded.length > MAX_MESSAGE_LENGTH ? `${bounded.slice(0, MAX_MESSAGE_LENGTH)}…` : bounded;
}
