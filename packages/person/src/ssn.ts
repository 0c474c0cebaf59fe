/**
 * The one SSN rule, for every way an SSN enters Care Graph (care-request imports, roster files) and for
 * matching: spaces and dashes are removed; empty means no SSN; anything but nine digits is invalid; and a
 * placeholder or never-issued number (what systems put in when they have none) means no SSN, so that two
 * people who share a placeholder are never matched on it.
 */

export type SsnParse =
  /** Nine digits, or null: no SSN (empty, or a placeholder). */
  | { ssn: string | null }
  /** Not nine digits once spaces and dashes are removed; the caller words the rejection. */
  | { invalid: true };

function isNineDigits(value: string): boolean {
  if (value.length !== 9) return false;
  for (let i = 0; i < 9; i += 1) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Spaces and dashes removed (matching normalises every person of every batch: plain values skip the replace). */
const cleaned = (text: string) => (isNineDigits(text) ? text : text.replace(/[\s-]/g, ''));

/** Placeholders and numbers never issued: one digit nine times, 123456789, 078051120 (the Woolworth card), area 000/666/9xx, group 00, serial 0000. */
function isPlaceholder(digits: string): boolean {
  let sameDigit = true;
  for (let i = 1; i < 9 && sameDigit; i += 1) sameDigit = digits.charCodeAt(i) === digits.charCodeAt(0);
  if (sameDigit || digits === '123456789' || digits === '078051120') return true;
  return (
    digits.startsWith('000') || digits.startsWith('666') || digits.startsWith('9') || digits.startsWith('00', 3) || digits.endsWith('0000')
  );
}

/** Applies the rule to an SSN as written (see the module comment). */
export function parseSsn(text: string | null | undefined): SsnParse {
  if (text === null || text === undefined) return { ssn: null };
  const digits = cleaned(text);
  if (digits === '') return { ssn: null };
  if (!isNineDigits(digits)) return { invalid: true };
  return { ssn: isPlaceholder(digits) ? null : digits };
}

/** The SSN to compare on: nine digits, or null when there is none, it is a placeholder, or it is invalid. */
export function usableSsn(text: string | null | undefined): string | null {
  if (!text) return null;
  const digits = cleaned(text);
  return isNineDigits(digits) && !isPlaceholder(digits) ? digits : null;
}
