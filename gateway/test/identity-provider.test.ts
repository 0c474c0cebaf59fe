/**
 * The gateway behind a real identity provider (a local JWKS server standing in for Keycloak): its tokens are
 * accepted with their mapped role and partner, the embedded dev key's are not, and the partner scope holds.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreatePartnerDocument, PartnersDocument } from '@care-graph/operations';
import { exportJWK, generateKeyPair, type JWTPayload, type KeyLike, SignJWT } from 'jose';
import { type Graph, startGraph } from '../../scripts/in-process-graph';

const ISSUER = 'https://keycloak.example/realms/care';

describe('gateway with an identity provider (JWKS)', () => {
  let jwks: Server;
  let graph: Graph;
  let privateKey: KeyLike;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'kc-1', alg: 'ES256', use: 'sig' };
    jwks = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [publicJwk] })));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    graph = await startGraph('pglite', {
      env: {
        AUTH_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/certs`,
        AUTH_ISSUER: ISSUER,
        AUTH_ROLE_CLAIM: 'realm_access.roles',
        AUTH_ROLE_MAP: 'care-graph-admin=admin,care-graph-partner=partner',
      },
    });
  });
  afterAll(async () => {
    await graph?.close();
    await new Promise((resolve) => jwks.close(resolve));
  });

  const providerToken = (claims: JWTPayload) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'kc-1' })
      .setIssuer(ISSUER)
      .setAudience('care-graph')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
  const as = async (claims: JWTPayload) => ({ url: graph.url, token: await providerToken(claims) });

  it('accepts the provider’s tokens with their mapped role and partner, and keeps a partner to its own', async () => {
    const admin = await as({ sub: 'kc-admin', realm_access: { roles: ['offline_access', 'care-graph-admin'] } });
    const mine = (await graph.run(admin, CreatePartnerDocument, { input: { name: 'Keycloak Partner A' } })).createPartner;
    await graph.run(admin, CreatePartnerDocument, { input: { name: 'Keycloak Partner B' } });
    const names = (await graph.run(admin, PartnersDocument, { first: 100 })).partners.edges.map((edge) => edge.node.name);
    expect(names).toEqual(expect.arrayContaining(['Keycloak Partner A', 'Keycloak Partner B']));

    const partner = await as({ sub: 'kc-integrator', realm_access: { roles: ['care-graph-partner'] }, partner_id: mine.id });
    const seen = (await graph.run(partner, PartnersDocument, { first: 100 })).partners.edges.map((edge) => edge.node);
    expect(seen).toEqual([{ id: mine.id, name: 'Keycloak Partner A' }]);
  });

  it('refuses the embedded dev key’s tokens and a provider token without a Care Graph role', async () => {
    for (const token of [
      await graph.token('admin'),
      await providerToken({ sub: 'kc-nobody', realm_access: { roles: ['offline_access'] } }),
    ]) {
      const { status, body } = await graph.post({ url: graph.url, token }, '{ partners { edges { node { id } } } }');
      expect(status).toBe(401);
      expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });
});
