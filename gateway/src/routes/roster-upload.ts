/**
 * `POST /rosters?partnerId=…&kind=CURRENT|BACKFILL&fileName=…` (body `text/csv`, bearer token): streams a
 * large roster file to the pop-health service without holding it in memory, and answers with the roster
 * (status, counts, the first rejected rows). Small files can also go through the `ingestRoster` mutation.
 *
 * The gateway only authenticates the caller; who may ingest rosters is pop-health's rule, stated there. Every
 * upload is recorded in the audit log (audit/audit-log.ts) as `ingestRoster` over `rosters-upload`, with the
 * partner's and the roster's ids and the outcome — never the file's content or name.
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
import { sendRateRefusal } from '../admission';
import { type AuditLog, clientIpOf } from '../audit/audit-log';
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

/** The error code of an answer (`{ error: { code } }` from sendError, `{ errors: [...] }` from GraphQL), if any. */
function codesOfAnswer(status: number, text: string): string[] {
  if (status < 400) return [];
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown }; errors?: { extensions?: { code?: unknown } }[] };
    const codes = [body.error?.code, ...(body.errors ?? []).map((e) => e.extensions?.code)].filter(
      (c): c is string => typeof c === 'string',
    );
    if (codes.length) return codes;
  } catch {
    // not JSON: the status says it
  }
  return [status === 401 ? 'UNAUTHENTICATED' : status === 403 ? 'FORBIDDEN' : 'INTERNAL_SERVER_ERROR'];
}

/** The roster id of a successful answer (`{ roster: { id } }`). */
function rosterIdOf(text: string): string[] {
  try {
    const id = (JSON.parse(text) as { roster?: { id?: unknown } }).roster?.id;
    return typeof id === 'string' ? [id] : [];
  } catch {
    return [];
  }
}

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
    audit: AuditLog;
  },
): void {
  app.post('/rosters', async (req, res, next) => {
    const requestId = requestIdOf(req.headers);
    const clientIp = clientIpOf(req, options.audit.settings.trustProxy);
    let identity: Identity | null = null;
    const record = (status: number, text: string) =>
      options.audit.record({
        identity,
        operationName: null,
        fields: ['ingestRoster'],
        ids: [...(typeof req.query.partnerId === 'string' ? [req.query.partnerId] : []), ...rosterIdOf(text)],
        errorCodes: codesOfAnswer(status, text),
        clientIp,
        requestId,
        transport: 'rosters-upload',
      });
    let body: ReturnType<typeof bounded> | undefined;
    try {
      let refused: unknown;
      try {
        identity = await authenticate(options.verifier, req.headers.authorization);
      } catch (error) {
        refused = error;
      }
      const refusal = await options.rateLimits.take('rosters', identity ?? undefined, clientIp ?? undefined);
      if (refusal) {
        res.set('Connection', 'close'); // the file is not read
        sendRateRefusal(res, refusal, 'route');
        return;
      }
      if (!identity) throw refused;
      if (Number(req.headers['content-length']) > options.bodyLimit) {
        const answer = tooLarge(options.bodyLimit);
        await record(413, JSON.stringify(answer));
        res.set('Connection', 'close').status(413).json(answer);
        return;
      }
      body = bounded(req, options.bodyLimit);
      const target = options.popHealthUrl();
      if (!target) throw new Error('pop-health is not in the supergraph');
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
      const text = await upstream.text();
      await record(upstream.status, text);
      res.status(upstream.status).type('application/json').send(text);
    } catch (error) {
      req.resume();
      if (body?.over()) {
        // pop-health discards an upload cut short, as it does one whose client went away.
        const answer = tooLarge(options.bodyLimit);
        await record(413, JSON.stringify(answer));
        res.set('Connection', 'close').status(413).json(answer);
        return;
      }
      const code = (error as { extensions?: { code?: unknown } }).extensions?.code;
      await record(500, JSON.stringify({ error: { code: typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR' } }));
      sendError(res, error, next);
    }
  });
}
