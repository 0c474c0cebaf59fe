/**
 * Errors are values with a code and a sentence a person can act on. These are the only codes the API
 * uses on purpose; anything else is unexpected and masked at the gateway.
 */
import { boundEcho, QUOTED_PREFIX } from '@care-graph/limits';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

type ErrorCode = 'BAD_USER_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT';

/** The HTTP status of each code, as a plain HTTP route answers it (`sendError`). */
const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
};

/**
 * A GraphQL response carries the status only for UNAUTHENTICATED (the whole request is refused); every other
 * error is part of a 200 answer, next to whatever data the rest of the operation produced.
 */
const SETS_GRAPHQL_STATUS: ReadonlySet<ErrorCode> = new Set(['UNAUTHENTICATED']);

/** The HTTP status for an error: its code's status, 500 for anything without one of our codes. */
export function httpStatusOf(error: unknown): number {
  const code = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  return typeof code === 'string' && code in HTTP_STATUS ? HTTP_STATUS[code as ErrorCode] : 500;
}

/** An error with `code` and a sentence the user can act on; `details` go to `extensions` (e.g. `argument`). */
function userError(code: ErrorCode, message: string, details: Record<string, unknown> = {}): GraphQLError {
  const http = SETS_GRAPHQL_STATUS.has(code) ? { http: { status: HTTP_STATUS[code] } } : {};
  return new GraphQLError(message, { extensions: { code, ...details, ...http } });
}

/** The five codes the API uses on purpose, each with its sentence. */
export const badUserInput = (message: string, details?: Record<string, unknown>) => userError('BAD_USER_INPUT', message, details);
export const unauthenticated = (message: string) => userError('UNAUTHENTICATED', message);
export const forbidden = (message: string) => userError('FORBIDDEN', message);
export const notFound = (message: string) => userError('NOT_FOUND', message);
export const conflict = (message: string, details?: Record<string, unknown>) => userError('CONFLICT', message, details);

/** The codes a client is meant to see; the gateway masks errors without one of these. */
export const PUBLIC_ERROR_CODES: ReadonlySet<string> = new Set([
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  // Apollo Server's own client errors: a mutation over GET, an empty or missing query, a bad variables value.
  'BAD_REQUEST',
  // A service the operation needs went away (a subscription's source restarted): the client may try again.
  'SERVICE_UNAVAILABLE',
  // A limit of the caller's (operations open on one subscription connection): wait or close something first.
  'TOO_MANY_REQUESTS',
  // An operation over a limit of the caller's role (depth, aliases, cost, …), refused before it ran: ask for less.
  'OPERATION_LIMIT_EXCEEDED',
  // A subscriber that read too slowly: its subscription fell too far behind and was ended; subscribe again.
  'SLOW_SUBSCRIBER',
  // A query that did not finish within REQUEST_TIMEOUT_MS and was stopped: ask for less.
  'DEADLINE_EXCEEDED',
]);

/**
 * `error` as a client may read it however much of a bad value its author quoted: quoted runs in the message
 * cut to a prefix (graphql-js quotes a whole bad variable value) and `extensions.value` likewise.
 */
export function boundErrorEcho(error: GraphQLFormattedError): GraphQLFormattedError {
  const value = error.extensions?.value;
  const extensions =
    typeof value === 'string' && value.length > QUOTED_PREFIX
      ? { ...error.extensions, value: value.slice(0, QUOTED_PREFIX) }
      : error.extensions;
  return { ...error, message: boundEcho(error.message), ...(extensions ? { extensions } : {}) };
}
