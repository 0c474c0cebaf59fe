/**
 * The gateway's admin routes (routes/admin.ts): the dashboard and the IDE served from the admin build, the
 * settings the dashboard reads, development tokens in embedded mode only, and the switches that turn pages off.
 * The pages themselves are tested in a browser (gateway/admin/test).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createLogger, createTokenVerifier, express } from '@care-graph/service-kit';
import { adminPages, adminPagesSettings, isLoopback } from '../src/routes/admin';

const EMBEDDED = { CARE_GRAPH_MODE: 'embedded' };
const PRODUCTION = { CARE_GRAPH_MODE: 'production' };

describe('admin pages at the gateway', () => {
  let dir: string;
  let dist: string;
  const servers: import('node:http').Server[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'care-graph-admin-pages-'));
    dist = path.join(dir, 'dist');
    mkdirSync(path.join(dist, 'assets'), { recursive: true });
    writeFileSync(path.join(dist, 'index.html'), '<title>dashboard</title>');
    writeFileSync(path.join(dist, 'ide.html'), '<title>graphiql</title>');
    writeFileSync(path.join(dist, 'assets', 'app-1234.js'), 'console.log(1)');
  });
  afterAll(async () => {
    for (const server of servers) server.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** An app with the admin routes and, after them, a stand-in for the GraphQL endpoint. */
  async function serveWith(env: NodeJS.ProcessEnv, distDir = dist, host = '127.0.0.1'): Promise<string> {
    const app = express();
    adminPages(app, {
      settings: adminPagesSettings(env),
      dataDir: dir,
      env,
      logger: createLogger('gateway', { LOG_LEVEL: 'error' }),
      dist: distDir,
    });
    app.use('/graphql', (_req, res) => res.json({ graphql: true }));
    const server = await new Promise<import('node:http').Server>((resolve) => {
      const s = app.listen(0, host, () => resolve(s));
    });
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('serves the dashboard at /admin and at every path under it, and its hashed assets as immutable', async () => {
    const url = await serveWith(EMBEDDED);
    for (const route of ['/admin', '/admin/', '/admin/backfills/abc']) {
      const response = await fetch(url + route);
      expect([route, response.status, await response.text()]).toEqual([route, 200, '<title>dashboard</title>']);
      expect(response.headers.get('x-frame-options')).toBe('DENY');
    }
    const asset = await fetch(`${url}/admin/assets/app-1234.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${url}/admin/assets/missing.js`)).status).toBe(404);
  });

  it('serves GraphiQL at /graphiql and at GET /graphql to a browser, and passes GraphQL clients on', async () => {
    const url = await serveWith(EMBEDDED);
    expect(await (await fetch(`${url}/graphiql`)).text()).toBe('<title>graphiql</title>');
    const browser = await fetch(`${url}/graphql`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(await browser.text()).toBe('<title>graphiql</title>');
    for (const accept of ['application/json', 'application/graphql-response+json', 'text/event-stream', '*/*']) {
      expect([accept, await (await fetch(`${url}/graphql`, { headers: { accept } })).json()]).toEqual([accept, { graphql: true }]);
    }
    // A GET query is a GraphQL request, whatever it accepts.
    expect(await (await fetch(`${url}/graphql?query=%7B__typename%7D`, { headers: { accept: 'text/html' } })).json()).toEqual({
      graphql: true,
    });
  });

  it('tells the dashboard the mode, and mints development admin tokens in embedded mode only, for JSON requests only', async () => {
    const url = await serveWith(EMBEDDED);
    expect(await (await fetch(`${url}/admin/settings.json`)).json()).toEqual({ mode: 'embedded', devTokens: true, ide: true });
    const minted = await fetch(`${url}/admin/dev-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(minted.headers.get('cache-control')).toBe('no-store');
    const { token } = (await minted.json()) as { token: string };
    const identity = await (await createTokenVerifier(EMBEDDED, dir)).verify(token);
    expect(identity).toMatchObject({ subject: 'dev-admin', role: 'admin' });
    // A form post (what another site could make a browser send) gets no token.
    const form = await fetch(`${url}/admin/dev-token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
    });
    expect([form.status, ((await form.json()) as { error: { code: string } }).error.code]).toEqual([415, 'BAD_REQUEST']);
  });

  it('in production: no development tokens, no IDE unless GRAPHQL_IDE=on, the dashboard unless ADMIN_UI=off', async () => {
    const url = await serveWith(PRODUCTION);
    expect(await (await fetch(`${url}/admin/settings.json`)).json()).toEqual({ mode: 'production', devTokens: false, ide: false });
    const refused = await fetch(`${url}/admin/dev-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect([refused.status, ((await refused.json()) as { error: unknown }).error]).toEqual([
      404,
      { code: 'NOT_FOUND', message: 'Development tokens exist in embedded mode only.' },
    ]);
    expect((await fetch(`${url}/graphiql`)).status).toBe(404);
    expect(await (await fetch(`${url}/graphql`, { headers: { accept: 'text/html' } })).json()).toEqual({ graphql: true });
    expect((await fetch(`${url}/admin/`)).status).toBe(200);

    const withIde = await serveWith({ ...PRODUCTION, GRAPHQL_IDE: 'on', ADMIN_UI: 'off' });
    expect((await fetch(`${withIde}/graphiql`)).status).toBe(200);
    expect((await fetch(`${withIde}/admin/`)).status).toBe(404);
    // The IDE's assets are still served: it is built with them.
    expect((await fetch(`${withIde}/admin/assets/app-1234.js`)).status).toBe(200);
    // Embedded mode behind an identity provider offers no development token: the gateway would refuse it.
    expect(adminPagesSettings({ ...EMBEDDED, AUTH_JWKS_URL: 'https://idp.example/jwks' }).devTokens).toBe(false);
  });

  it('hands development tokens to this machine only, also when listening on every interface', async () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1'])
      expect([address, isLoopback(address)]).toEqual([address, true]);
    for (const address of ['10.0.0.5', '192.168.1.20', '::ffff:10.0.0.5', 'fe80::1', '1127.0.0.1', undefined])
      expect([address, isLoopback(address)]).toEqual([address, false]);
    // Through a real interface address of this machine, when it has one: the client is then not loopback.
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i && !i.internal && i.family === 'IPv4')?.address;
    if (!external) return;
    const port = new URL(await serveWith(EMBEDDED, dist, '0.0.0.0')).port;
    const refused = await fetch(`http://${external}:${port}/admin/dev-token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect([refused.status, ((await refused.json()) as { error: { code: string } }).error.code]).toEqual([403, 'FORBIDDEN']);
    expect(await (await fetch(`http://${external}:${port}/admin/settings.json`)).json()).toMatchObject({ devTokens: false });
    expect(await (await fetch(`http://127.0.0.1:${port}/admin/settings.json`)).json()).toMatchObject({ devTokens: true });
  });

  it('names a malformed switch, and says how to build pages that are not built', async () => {
    expect(() => adminPagesSettings({ ADMIN_UI: 'yes' })).toThrow('ADMIN_UI must be on or off; it is "yes".');
    expect(() => adminPagesSettings({ GRAPHQL_IDE: '1' })).toThrow('GRAPHQL_IDE must be on or off; it is "1".');
    const url = await serveWith(EMBEDDED, path.join(dir, 'never-built'));
    const response = await fetch(`${url}/admin/`);
    expect(response.status).toBe(503);
    expect(await response.text()).toContain('npm run build:admin');
  });
});
