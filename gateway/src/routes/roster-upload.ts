/**
 * `POST /rosters?partnerId=…&kind=CURRENT|BACKFILL&fileName=…` (body `text/csv`, bearer token): streams a
 * large roster file to the pop-health service without holding it in memory, and answers with the roster
 * (status, counts, the first rejected rows). Small files can also go through the `ingestRoster` mutation.
 *
 * The gateway only authenticates the caller; who may ingest rosters is pop-health's rule, stated there.
 */

import {
  type Identity,
  type InternalAuth,
  internalHeaders,
  requestIdOf,
  requestTarget,
  sendError,
  type TokenVerifier,
} from '@care-graph/service-kit';
import type { Express } from 'express';
import { clientAddress, sendRateRefusal } from '../admission';
import { authenticate } from '../auth';
import type { RateLimits } from '../rate-limits/rate-limits';

/** The body, passed on as it arrives, failing once more than `limit` bytes came (`over()` then says so). */
function bounded(source: AsyncIterable<Uint8Array>, limit: number) {
  let received = 0;
  return {
    over: () => received > limit,
    async *chunks() {
      for await (const chunk of source) {
        received += chunk.byteLength;
        if (received > limit) throw new Error('the roster file is over BODY_LIMIT_ROSTERS');
        yield chunk;
      }
    },
  };
}

const tooLarge = (limit: number) => ({
  error: {
    code: 'PAYLOAD_TOO_LARGE',
    message: `The roster file is larger than ${limit} bytes (BODY_LIMIT_ROSTERS); split it, or ask an operator to raise the limit.`,
  },
});

/** Mounts `POST /rosters`, forwarded as a stream to pop-health's own `/rosters` at `popHealthUrl()`. */
export function rosterUploadRoute(
  app: Express,
  options: {
    verifier: TokenVerifier;
    internalAuth: InternalAuth;
    popHealthUrl: () => string | undefined;
    rateLimits: RateLimits;
    /** BODY_LIMIT_ROSTERS, in bytes. */
    bodyLimit: number;
  },
): void {
  app.post('/rosters', async (req, res, next) => {
    let body: ReturnType<typeof bounded> | undefined;
    try {
      let identity: Identity | undefined;
      let refused: unknown;
      try {
        identity = await authenticate(options.verifier, req.headers.authorization);
      } catch (error) {
        refused = error;
      }
      const refusal = await options.rateLimits.take('rosters', identity, clientAddress(req));
      if (refusal) {
        res.set('Connection', 'close'); // the file is not read
        sendRateRefusal(res, refusal, 'route');
        return;
      }
      if (!identity) throw refused;
      if (Number(req.headers['content-length']) > options.bodyLimit) {
        res.set('Connection', 'close').status(413).json(tooLarge(options.bodyLimit));
        return;
      }
      body = bounded(req, options.bodyLimit);
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
        body: body.chunks() as unknown as ReadableStream,
        duplex: 'half',
      } as RequestInit);
      res
        .status(upstream.status)
        .type('application/json')
        .send(await upstream.text());
    } catch (error) {
      req.resume();
      // pop-health discards an upload cut short, as it does one whose client went away.
      if (body?.over()) res.set('Connection', 'close').status(413).json(tooLarge(options.bodyLimit));
      else sendError(res, error, next);
    }
  });
}
