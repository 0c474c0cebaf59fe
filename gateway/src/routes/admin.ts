/**
 * The admin dashboard at `/admin` and the offline GraphQL IDE at `/graphiql` (and at `GET /graphql` from a
 * browser), both built by `gateway/admin` into its `dist/`; nothing loads from a CDN.
 *
 * - `ADMIN_UI` (on|off, default on): serve the dashboard. It only calls the public API, with the user's token.
 * - `GRAPHQL_IDE` (on|off, default on in embedded mode, off in production).
 * - Embedded mode only: `POST /admin/dev-token` mints a development admin token for the dashboard's
 *   "Use development admin token" button and the IDE's pre-filled header (what `npm run token -- admin` prints).
 *   It answers only this machine (a loopback client), also when the gateway listens on every interface, and
 *   needs `Content-Type: application/json`, so another web site cannot make a browser ask for one.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { careGraphMode, express, type Logger, repoRoot, signDevToken, switchSetting } from '@care-graph/service-kit';
import type { Express, Request, Response } from 'express';

const ADMIN_DIST = path.join(repoRoot, 'gateway', 'admin', 'dist');

export interface AdminPagesSettings {
  dashboard: boolean;
  ide: boolean;
  devTokens: boolean;
  mode: 'embedded' | 'production';
}

export function adminPagesSettings(env: NodeJS.ProcessEnv): AdminPagesSettings {
  const { mode } = careGraphMode(env);
  return {
    mode,
    dashboard: switchSetting(env, 'ADMIN_UI', true),
    ide: switchSetting(env, 'GRAPHQL_IDE', mode === 'embedded'),
    // A gateway that trusts an identity provider does not accept dev tokens: offering one would only fail.
    devTokens: mode === 'embedded' && !env.AUTH_JWKS_URL,
  };
}

/** Whether a client address is this machine (IPv4 or IPv6 loopback, also IPv4 mapped into IPv6). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4 === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** Mounts the dashboard, the IDE and their settings; before `/graphql`, so a browser's GET there gets the IDE. */
export function adminPages(
  app: Express,
  options: { settings: AdminPagesSettings; dataDir: string; env: NodeJS.ProcessEnv; logger: Logger; dist?: string },
): void {
  const { settings, logger } = options;
  const dist = options.dist ?? ADMIN_DIST;
  if (!settings.dashboard && !settings.ide) return;
  if (!existsSync(path.join(dist, 'index.html')))
    logger.warn('admin pages not built', { hint: 'run npm run build:admin (npm start builds them)', dist });

  const page = (file: string) => (_req: Request, res: Response) => {
    const html = path.join(dist, file);
    if (!existsSync(html)) {
      res
        .status(503)
        .type('text/plain')
        .send('The admin pages are not built. Run "npm run build:admin" (npm start builds them when needed), then reload.\n');
      return;
    }
    res.set({
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    });
    res.type('html').send(readFileSync(html));
  };

  app.get('/admin/settings.json', (req, res) => {
    const devTokens = settings.devTokens && isLoopback(req.socket.remoteAddress);
    res.set('cache-control', 'no-store').json({ mode: settings.mode, devTokens, ide: settings.ide });
  });
  app.post('/admin/dev-token', async (req, res) => {
    if (!settings.devTokens) {
      res.status(404).json({ error: { code: 'NOT_FOUND', message: 'Development tokens exist in embedded mode only.' } });
      return;
    }
    if (!isLoopback(req.socket.remoteAddress)) {
      res.status(403).json({
        error: {
          code: 'FORBIDDEN',
          message: 'Development tokens are handed out to this machine only: run "npm run -s token -- admin" on it and paste the token.',
        },
      });
      return;
    }
    if (!req.is('application/json')) {
      res.status(415).json({ error: { code: 'BAD_REQUEST', message: 'Ask for a development token with Content-Type: application/json.' } });
      return;
    }
    const token = await signDevToken(options.dataDir, { subject: 'dev-admin', role: 'admin' }, { env: options.env });
    logger.info('development admin token issued', { subject: 'dev-admin' });
    res.set('cache-control', 'no-store').json({ token });
  });
  // Hashed file names: a build never changes a file in place, so browsers may keep them.
  app.use('/admin/assets', express.static(path.join(dist, 'assets'), { immutable: true, maxAge: '365d', fallthrough: false }));

  if (settings.dashboard) {
    // Every other /admin path is a page of the dashboard (its router reads the URL).
    app.get(/^\/admin(\/.*)?$/, page('index.html'));
  }
  if (settings.ide) {
    const ide = page('ide.html');
    app.get('/graphiql', ide);
    app.get('/graphql', (req, res, next) => {
      // A browser navigating here asks for HTML; GraphQL clients (GET queries, SSE) ask for something else.
      const wantsPage =
        !req.query.query &&
        req.accepts(['application/json', 'application/graphql-response+json', 'text/event-stream', 'text/html']) === 'text/html';
      if (wantsPage) ide(req, res);
      else next();
    });
  }
}
