/**
 * `POST /rosters?partnerId=…&kind=CURRENT|BACKFILL&fileName=…` (body `text/csv`, bearer token): streams a
 * large roster file to the pop-health service without holding it in memory, and answers with the roster
 * (status, counts, the first rejected rows). Small files can also go through the `ingestRoster` mutation.
 *
 * The gateway only authenticates the caller; who may ingest rosters is pop-health's rule, stated there.
 */

import { type InternalAuth, internalHeaders, requestIdOf, requestTarget, sendError, type TokenVerifier } from '@care-graph/service-kit';
import type { Express } from 'express';
import { authenticate } from '../auth';

/** Mounts `POST /rosters`, forwarded as a stream to pop-health's own `/rosters` at `popHealthUrl()`. */
export function rosterUploadRoute(
  app: Express,
  options: { verifier: TokenVerifier; internalAuth: InternalAuth; popHealthUrl: () => string | undefined },
): void {
  app.post('/rosters', async (req, res, next) => {
    try {
      const identity = await authenticate(options.verifier, req.headers.authorization);
      const target = options.popHealthUrl();
      if (!target) throw new Error('pop-health is not in the supergraph');
      const requestId = requestIdOf(req.headers);
      const url = new URL('/rosters', target);
      for (const [key, value] of Object.entries(req.query)) if (typeof value === 'string') url.searchParams.set(key, value);
      const upstream = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': req.headers['content-type'] ?? '',
          // The file is streamed through, never held whole, so it cannot be hashed before it is sent: the token is
          // bound to the method and the target with its query string (partner, kind, file name), and used once.
          ...(await internalHeaders(options.internalAuth, identity, requestId, {
            service: 'pop-health',
            use: 'http',
            method: 'POST',
            target: requestTarget(url),
          })),
        },
        body: req as unknown as ReadableStream,
        duplex: 'half',
      } as RequestInit);
      res
        .status(upstream.status)
        .type('application/json')
        .send(await upstream.text());
    } catch (error) {
      req.resume();
      sendError(res, error, next);
    }
  });
}
