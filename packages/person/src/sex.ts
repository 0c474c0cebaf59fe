/** Administrative sex as source systems send it: the codes of the contract's `Sex` enum. */
export const Sex = { F: 'F', M: 'M', O: 'O', U: 'U' } as const;
export type Sex = (typeof Sex)[keyof typeof Sex];

/** The codes, in the contract's order. */
export const SEX_CODES: readonly Sex[] = Object.values(Sex);

/** Whether `value` is one of the codes (exactly, upper case). */
export function isSexCode(value: unknown): value is Sex {
  return typeof value === 'string' && (SEX_CODES as readonly string[]).includes(value);
}
