/**
 * The request id: it correlates the gateway's and the subgraphs' logs for one request, and an unexpected
 * error's message asks the client to quote it. `/graphql` and the gateway's other routes derive it here.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** A client's id is cut to this length, so that it cannot flood the logs. */
const MAX_REQUEST_ID_LENGTH = 100;

/** The client's `x-request-id` (its first 100 characters) when it sent a non-empty one, else a fresh UUID. */
export function requestIdOf(headers: IncomingHttpHeaders): string {
  const given = headers['x-request-id'];
  return typeof given === 'string' && given ? given.slice(0, MAX_REQUEST_ID_LENGTH) : randomUUID();
}
