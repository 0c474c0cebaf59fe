/**
 * Partner names as users mean them. An admin's spelling is kept for display (only trimmed, with inner
 * whitespace collapsed); uniqueness is decided on the key, so "front range  health plan" is the partner
 * "Front Range Health Plan" already is.
 *
 * The key: Unicode NFKC (full-width letters, ligatures and non-breaking spaces become their plain forms),
 * whitespace runs to one space, trimmed, then case-folded by upper- then lower-casing (full case mapping:
 * "ÄRZTE" = "ärzte", "STRASSE" = "straße"), then NFKC again since case mapping may leave a string
 * unnormalised. The migration that introduced the key backfilled it with the same steps in SQL.
 */

/** `name` trimmed, each run of whitespace one space: what is stored and shown. */
export function partnerDisplayName(name: string): string {
  return name.trim().replace(/\s+/g, ' ');
}

/** The key two partner names share exactly when users would call them the same name. */
export function partnerNameKey(name: string): string {
  return partnerDisplayName(name.normalize('NFKC')).toUpperCase().toLowerCase().normalize('NFKC');
}

/** The columns a new partner row takes from its name. */
export function partnerNameColumns(name: string): { name: string; nameKey: string } {
  return { name: partnerDisplayName(name), nameKey: partnerNameKey(name) };
}
