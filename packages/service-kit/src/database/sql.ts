/**
 * What the kit's raw SQL needs: a client to send it through, and the guard for the few statements that
 * name a table or column from code (raw list pages, batched nested pages, high-water marks): names are never
 * user input, but a name that is not a plain identifier would change the statement, so it is refused rather
 * than quoted.
 */

/** `"name"` for a plain identifier (letters, digits, `_`; not starting with a digit); throws for anything else. */
export function sqlIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`unsafe SQL identifier ${JSON.stringify(name)}`);
  return `"${name}"`;
}

/** The subset of a Prisma client (or transaction client) the kit's raw SQL is sent through. */
export interface SqlClient {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}
