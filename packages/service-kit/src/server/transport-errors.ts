/**
 * Errors that happen before any route runs (a body that is not JSON, too large, in an unsupported charset or
 * a broken gzip stream), and anything a route let through, answered as JSON with a 4xx/5xx status instead
 * of Express's HTML page (which carries a stack trace and file paths). GraphQL endpoints answer in the
 * GraphQL-over-HTTP shape `{ errors: [{ message, extensions: { code } }] }`; other routes in their documented
 * `{ error: { code, message } }` shape.
 *
 * Nothing of the request body is ever logged or echoed: body-parser keeps the raw body on its errors
 * (`error.body`), and that body can hold PHI (an SSN in an import record).
 */
import { quote } from '@care-graph/limits';
import type { ErrorRequestHandler } from 'express';
import { requestIdOf } from '../auth/tokens';
import type { Logger } from './logger';

interface TransportFault {
  status: number;
  code: string;
  message: string;
}

/** body-parser's error types (`error.type`), as a client should read them. */
const BODY_FAULTS: Record<string, (error: { limit?: number; charset?: string; encoding?: string }) => TransportFault> = {
  'entity.parse.failed': () => ({
    status: 400,
    code: 'BAD_REQUEST',
    message: 'The request body is not valid JSON; send a JSON object such as {"query": "{ __typename }"}.',
  }),
  'entity.too.large': (error) => ({
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    message: `The request body is larger than ${error.limit ?? 'the limit of'} bytes; send less per request.`,
  }),
  'charset.unsupported': (error) => ({
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: `The charset ${quote(String(error.charset ?? ''))} is not supported; send the body as UTF-8.`,
  }),
  'encoding.unsupported': (error) => ({
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: `The content encoding ${quote(String(error.encoding ?? ''))} is not supported; send identity, gzip or deflate.`,
  }),
  'request.aborted': () => ({ status: 400, code: 'BAD_REQUEST', message: 'The request body ended before it was complete.' }),
  'request.size.invalid': () => ({ status: 400, code: 'BAD_REQUEST', message: 'The request body does not match its Content-Length.' }),
};

/** What to answer for `error`: a body fault as the table says, another 4xx as a bad request, anything else a masked 500. */
function transportFault(error: unknown): TransportFault | null {
  const fault = error as { type?: string; status?: number; statusCode?: number; limit?: number };
  const known = fault.type ? BODY_FAULTS[fault.type] : undefined;
  if (known) return known(fault);
  const status = fault.status ?? fault.statusCode;
  // A gzip or deflate body that does not inflate: body-parser passes zlib's error on with status 400.
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, code: 'BAD_REQUEST', message: 'The request body could not be read (is its Content-Encoding right?).' };
  }
  return null;
}

/**
 * The last middleware of every Care Graph HTTP server (see `serve`). Client faults are logged as a warning
 * with their type and request id; anything else as an error, and the client gets a generic message that
 * quotes the request id.
 */
export function transportErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const requestId = requestIdOf(req.headers);
    const fault = transportFault(error);
    if (fault) logger.warn('refused request', { requestId, status: fault.status, code: fault.code, path: req.path });
    else logger.error('unexpected error', { requestId, path: req.path, message: (error as Error)?.message });
    const { status, code, message } = fault ?? {
      status: 500,
      code: 'INTERNAL_SERVER_ERROR',
      message: `Internal server error. Quote request id ${requestId} when reporting it.`,
    };
    res.status(status);
    if (req.path.startsWith('/graphql')) res.json({ errors: [{ message, extensions: { code, requestId } }] });
    else res.json({ error: { code, message, requestId } });
  };
}
