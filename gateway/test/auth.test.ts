/**
 * Authentication and authorisation: the gateway wants a valid bearer token; subgraphs want an identity
 * signed with the internal secret and refuse forged ones; admin-only mutations refuse other roles.
 */

import { devSigningKey, IDENTITY_HEADER, InternalAuth, internalSigner } from '@care-graph/service-kit';
import { generateKeyPair, importJWK, SignJWT } from 'jose';
import { type Graph, startGraph } from '../../scripts/in-process-graph';

const PARTNERS_QUERY = '{ partners { edges { node { id } } } }';

describe('authentication and authorisation', () => {
  let graph: Graph;
  beforeAll(async () => {
    graph = await startGraph();
  });
  afterAll(() => graph?.close());

  const gatewayCall = (headers: Record<string, string>, query = PARTNERS_QUERY) => graph.post({ url: graph.url, headers }, query);

  it('refuses a request without a token with UNAUTHENTICATED (HTTP 401)', async () => {
    const { status, body } = await gatewayCall({});
    expect(status).toBe(401);
    expect(body.errors?.[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' }, message: expect.stringContaining('npm run token') });
    expect(body.data).toBeUndefined();
  });

  it.each([
    ['a malformed header', 'Token abc'],
    ['a token that is not a JWT', 'Bearer not-a-jwt'],
  ])('refuses %s', async (_label, authorization) => {
    const { status, body } = await gatewayCall({ authorization });
    expect(status).toBe(401);
    expect(body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a token signed by another key', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const forged = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer('care-graph-dev')
      .setAudience('care-graph')
      .setSubject('mallory')
      .setExpirationTime('1h')
      .sign(privateKey);
    const { status, body } = await gatewayCall({ authorization: `Bearer ${forged}` });
    expect(status).toBe(401);
    expect(body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a token without an expiry, even one signed by the right key', async () => {
    const { privateJwk } = await devSigningKey(graph.dataDir);
    const claims = new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'EdDSA', kid: privateJwk.kid }).setIssuer('care-graph-dev');
    const forever = await claims
      .setAudience('care-graph')
      .setSubject('forever')
      .sign(await importJWK(privateJwk, 'EdDSA'));
    const { status, body } = await gatewayCall({ authorization: `Bearer ${forever}` });
    expect(status).toBe(401);
    expect(body.errors?.[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' }, message: expect.stringContaining('exp') });
    // The same token with an expiry is accepted: the refusal is about the missing claim alone.
    const expiring = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'EdDSA', kid: privateJwk.kid })
      .setIssuer('care-graph-dev')
      .setAudience('care-graph')
      .setSubject('expiring')
      .setExpirationTime('1h')
      .sign(await importJWK(privateJwk, 'EdDSA'));
    expect((await gatewayCall({ authorization: `Bearer ${expiring}` })).status).toBe(200);
  });

  it('refuses a partner token without a partner id', async () => {
    const token = await graph.token('partner');
    const { body } = await gatewayCall({ authorization: `Bearer ${token}` });
    expect(body.errors?.[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' }, message: expect.stringContaining('partner_id') });
  });

  it.each([
    ['createPartner', 'mutation { createPartner(input: { name: "Sneaky" }) { id } }'],
    ['importCareRequests', 'mutation { importCareRequests(records: []) { received } }'],
  ])('refuses %s to partner and service tokens with FORBIDDEN', async (_name, mutation) => {
    for (const options of [await graph.as('partner', 'p-1'), await graph.as('service')]) {
      const { body } = await graph.post(options, mutation);
      expect(body.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' }, message: expect.stringContaining('admin role') });
    }
  });

  it('lets partner tokens reach partner data but not the care-request lists', async () => {
    const options = await graph.as('partner', 'p-1');
    expect((await graph.post(options, PARTNERS_QUERY)).body.errors).toBeUndefined();
    const { body } = await graph.post(options, '{ careRequests { edges { cursor } } }');
    expect(body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  describe('direct calls to a subgraph', () => {
    const subgraphCall = (headers: Record<string, string>) => graph.post({ url: graph.subgraphs.partners.url, headers }, PARTNERS_QUERY);

    it('refuses a call without the internal identity', async () => {
      const { status, body } = await subgraphCall({ authorization: `Bearer ${await graph.token('admin')}` });
      expect(status).toBe(401);
      expect(body.errors?.[0]).toMatchObject({
        extensions: { code: 'UNAUTHENTICATED' },
        message: expect.stringContaining(IDENTITY_HEADER),
      });
    });

    it('refuses a forged identity signed with another secret', async () => {
      const forged = internalSigner(
        new InternalAuth(new TextEncoder().encode('x'.repeat(40))),
        { subject: 'mallory', role: 'admin' },
        'partners',
      );
      const { status, body } = await graph.post({ url: graph.subgraphs.partners.url, sign: forged }, PARTNERS_QUERY);
      expect(status).toBe(401);
      expect(body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    });

    it('refuses an unsigned identity', async () => {
      const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
      const payload = Buffer.from(JSON.stringify({ role: 'admin', sub: 'mallory' })).toString('base64url');
      const { status } = await subgraphCall({ [IDENTITY_HEADER]: `${header}.${payload}.` });
      expect(status).toBe(401);
    });

    it('accepts an identity signed with the internal secret', async () => {
      const auth = await InternalAuth.fromEnv(graph.env, graph.dataDir);
      const { status, body } = await graph.post(
        { url: graph.subgraphs.partners.url, sign: internalSigner(auth, { subject: 'svc', role: 'service' }, 'partners') },
        PARTNERS_QUERY,
      );
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
    });
  });
});
