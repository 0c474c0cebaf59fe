/**
 * Errors are values with a code and a sentence a person can act on. These are the only codes the API
 * uses on purpose; anything else is unexpected and masked at the gateway.
 */
import { GraphQLError } from 'graphql';

export type ErrorCode = 'BAD_USER_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT';

const HTTP_STATUS: Record<ErrorCode, number | undefined> = {
  BAD_USER_INPUT: undefined,
  UNAUTHENTICATED: 401,
  FORBIDDEN: undefined,
  NOT_FOUND: undefined,
  CONFLICT: undefined,
};

export function userError(code: ErrorCode, message: string, details: Record<string, unknown> = {}): GraphQLError {
  const status = HTTP_STATUS[code];
  return new GraphQLError(message, { extensions: { code, ...details, ...(status ? { http: { status } } : {}) } });
}

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
  'OPERATION_RESOLUTION_FAILURE',
]);
