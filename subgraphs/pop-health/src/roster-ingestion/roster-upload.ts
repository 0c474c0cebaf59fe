/**
 * `POST /rosters?partnerId=…&kind=CURRENT|BACKFILL&fileName=…` with a `text/csv` body: the streamed
 * ingestion path for large rosters (the gateway forwards its own `POST /rosters` here). The body is parsed
 * as it arrives; it is never held whole in memory.
 */

import { authorize, badUserInput, checkTextParameters, type RequestContext, sendError } from '@care-graph/service-kit';
import type { Express } from 'express';
import { INGEST_ROSTER_ROLES } from '../roster';
import { assertPartnerExists, startLoadReport } from '../service-calls';
import { prepareRosterIngestion } from './parse-thread';
import { ingestRoster, type RosterKindName, type RosterStore } from './roster-ingest';

export function rosterUploadRoute(
  app: Express,
  services: { store: RosterStore; authenticate: (req: import('express').Request) => Promise<RequestContext> },
): void {
  prepareRosterIngestion();
  app.post('/rosters', async (req, res, next) => {
    try {
      const ctx = await services.authenticate(req);
      authorize(ctx.identity, INGEST_ROSTER_ROLES);
      const { partnerId, kind, fileName } = req.query as Record<string, unknown>;
      for (const [name, value] of Object.entries({ partnerId, kind, fileName })) {
        if (value !== undefined && typeof value !== 'string')
          throw badUserInput(`Query parameter ${name} must be given once, as plain text.`);
      }
      checkTextParameters({ partnerId, fileName });
      if (typeof partnerId !== 'string' || partnerId === '') throw badUserInput('Query parameter partnerId is required.');
      if (kind !== 'CURRENT' && kind !== 'BACKFILL') throw badUserInput('Query parameter kind must be CURRENT or BACKFILL.');
      if (!/^text\/csv\b|^application\/octet-stream\b/.test(req.headers['content-type'] ?? '')) {
        throw badUserInput('Send the roster as the request body with Content-Type: text/csv.');
      }
      await assertPartnerExists(ctx, partnerId);
      const roster = await ingestRoster(
        services.store,
        { partnerId, kind: kind as RosterKindName, fileName: (fileName as string | undefined) ?? 'roster.csv' },
        req,
        (source) => startLoadReport(ctx, source, partnerId),
      );
      res.status(201).json({ roster });
    } catch (error) {
      // An upload its client cut short (or the gateway, over BODY_LIMIT_ROSTERS): nothing is kept and its data load
      // ended FAILED; there is no one to answer, and nothing unexpected to log.
      if (req.destroyed && !req.complete) return;
      req.resume(); // drain what is left of the upload so the connection can answer
      sendError(res, error, next);
    }
  });
}
