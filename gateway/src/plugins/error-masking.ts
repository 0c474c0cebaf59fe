/**
 * Errors with a public code (BAD_USER_INPUT, FORBIDDEN, …) reach the client as they are. Anything else
 * is unexpected: the client gets a generic message with the request id, and the log gets the detail.
 * `maskError` is the rule for any transport (HTTP responses here; WebSocket events can use it too).
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { boundErrorEcho, type Logger, PUBLIC_ERROR_CODES } from '@care-graph/service-kit';
import type { GraphQLFormattedError } from 'graphql';
import type { GatewayContext } from '../auth';

/**
 * What a client may see of `error`. An error with a public code passes unchanged but for its `stacktrace`
 * and `exception` extensions, which are server detail, and the bad values it quotes, cut to a prefix. Any other error becomes an `INTERNAL_SERVER_ERROR`
 * whose message quotes `requestId` (keeping `path` and `locations`); its code, message and path are logged
 * on `logger` — never the operation's variables, which may hold PHI.
 */
export function maskError(error: GraphQLFormattedError, requestId: string | undefined, logger: Logger): GraphQLFormattedError {
  const code = error.extensions?.code;
  if (typeof code === 'string' && PUBLIC_ERROR_CODES.has(code)) {
    const { exception: _exception, stacktrace: _stack, ...extensions } = error.extensions ?? {};
    return boundErrorEcho({ ...error, extensions });
  }
  // A cancelled request's errors are expected (its client left; the cancellation itself was logged) and unread.
  if (code !== 'REQUEST_CANCELLED')
    logger.error('unexpected error', { requestId, code, message: error.message, path: error.path?.join('.') });
  return {
    message: `Internal server error. Quote request id ${requestId ?? 'unknown'} when reporting it.`,
    path: error.path,
    locations: error.locations,
    extensions: { code: 'INTERNAL_SERVER_ERROR', requestId },
  };
}

/** `maskError` over every error of one response. */
export function maskErrors(
  errors: readonly GraphQLFormattedError[],
  requestId: string | undefined,
  logger: Logger,
): GraphQLFormattedError[] {
  return errors.map((error) => maskError(error, requestId, logger));
}

/** Masks the errors of every single-result response the gateway sends (see `maskError`). */
export function errorMasking(logger: Logger): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single' || !response.body.singleResult.errors) return;
          response.body.singleResult.errors = maskErrors(response.body.singleResult.errors, contextValue?.requestId, logger);
        },
      };
    },
  };
}
