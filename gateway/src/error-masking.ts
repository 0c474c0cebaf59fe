/**
 * Errors with a public code (BAD_USER_INPUT, FORBIDDEN, …) reach the client as they are. Anything else
 * is unexpected: the client gets a generic message with the request id, and the log gets the detail.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { PUBLIC_ERROR_CODES, type Logger } from '@care-graph/service-kit';
import type { GatewayContext } from './auth';

export function errorMasking(logger: Logger): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single' || !response.body.singleResult.errors) return;
          const requestId = contextValue?.requestId;
          response.body.singleResult.errors = response.body.singleResult.errors.map((error) => {
            const code = error.extensions?.code;
            if (typeof code === 'string' && PUBLIC_ERROR_CODES.has(code)) {
              const { exception: _exception, stacktrace: _stack, ...extensions } = error.extensions ?? {};
              return { ...error, extensions };
            }
            logger.error('unexpected error', { requestId, code, message: error.message, path: error.path?.join('.') });
            return {
              message: `Internal server error. Quote request id ${requestId ?? 'unknown'} when reporting it.`,
              path: error.path,
              locations: error.locations,
              extensions: { code: 'INTERNAL_SERVER_ERROR', requestId },
            };
          });
        },
      };
    },
  };
}
