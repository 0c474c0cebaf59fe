/**
 * Whether a failed step of the lifecycle is worth repeating, and when. A callee that answered with one of
 * the codes below refused the request itself (repeating it changes nothing); anything else — no
 * connection, a timeout, HTTP 5xx, an error without such a code — is taken as the callee being down or
 * restarting, and retried.
 */
import { ServiceCallError } from '@care-graph/service-kit';

const PERMANENT_CODES: ReadonlySet<string> = new Set(['BAD_USER_INPUT', 'NOT_FOUND', 'FORBIDDEN', 'UNAUTHENTICATED']);

/** The first pause after a transient fault, and the longest. */
const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 30_000;

/** The code a callee refused a call with (BAD_USER_INPUT, NOT_FOUND, …), or null for a transient fault. */
export function permanentCode(error: unknown): string | null {
  if (!(error instanceof ServiceCallError)) return null;
  return error.errors.map((e) => e.extensions?.code).find((code): code is string => !!code && PERMANENT_CODES.has(code)) ?? null;
}

/** Whether `error` is the callee's CONFLICT (e.g. a data load already finished). */
export function isConflict(error: unknown): boolean {
  return error instanceof ServiceCallError && error.errors.some((e) => e.extensions?.code === 'CONFLICT');
}

/** The pause before retry `attempt` (from 1): exponential from 500 ms, capped at 30 s, with full jitter. */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
