/**
 * Tokens from a real identity provider, against a local JWKS server whose keys the tests rotate: the algorithms
 * accepted and refused, issuer, audience, expiry with bounded clock skew, required claims, the role claim of
 * Keycloak-, Auth0- and Entra-shaped tokens, and how often the gateway asks the provider for its keys.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, type KeyLike, SignJWT } from 'jose';
import { createTokenVerifier } from '../src';
import { identityProviderSettings } from '../src/auth/identity-provider';

interface SigningKey {
  alg: string;
  kid: string;
  privateKey: KeyLike;
  publicJwk: JWK;
}

let counter = 0;
async function signingKey(alg: 'RS256' | 'ES256' | 'EdDSA' | 'PS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519' } : {});
  const kid = `${alg}-${++counter}`;
  return { alg, kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

const ISSUER = 'https://idp.example/realms/care';
const AUDIENCE = 'care-graph';
const now = () => Math.floor(Date.now() / 1000);

function sign(key: SigningKey, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  const { exp, ...rest } = claims;
  const jwt = new SignJWT({ ...rest })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, ...header })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt();
  if (exp !== null) jwt.setExpirationTime(exp ?? now() + 300);
  return jwt.sign(key.privateKey);
}

describe('identity provider tokens (JWKS)', () => {
  let server: Server;
  let jwksUrl: string;
  let published: SigningKey[] = [];
  let fetches = 0;
  let rsa: SigningKey;
  let ec: SigningKey;
  let ed: SigningKey;

  beforeAll(async () => {
    [rsa, ec, ed] = await Promise.all([signingKey('RS256'), signingKey('ES256'), signingKey('EdDSA')]);
    server = createServer((_req, res) => {
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: published.map((key) => key.publicJwk) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/realms/care/protocol/openid-connect/certs`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => {
    published = [rsa, ec, ed];
    fetches = 0;
  });

  const verifier = (extra: NodeJS.ProcessEnv = {}) =>
    createTokenVerifier(
      { CARE_GRAPH_MODE: 'production', AUTH_JWKS_URL: jwksUrl, AUTH_ISSUER: ISSUER, AUTH_JWKS_COOLDOWN_SECONDS: '30', ...extra },
      '/nonexistent',
    );

  it('accepts RS256, ES256 and EdDSA tokens of the provider, with the identity their claims carry', async () => {
    const verify = await verifier();
    for (const key of [rsa, ec, ed]) {
      const token = await sign(key, { sub: `user-${key.alg}`, role: 'admin', email: 'a@example.org' });
      expect(await verify.verify(token)).toEqual({ subject: `user-${key.alg}`, role: 'admin', email: 'a@example.org' });
    }
    const partner = await sign(rsa, { sub: 'integrator', role: 'partner', partner_id: 'p-1' });
    expect(await verify.verify(partner)).toEqual({ subject: 'integrator', role: 'partner', partnerId: 'p-1' });
    // One fetch of the key set served all of them.
    expect(fetches).toBe(1);
  });

  it('refuses what it must: another algorithm, a key not the provider’s, another issuer or audience, no exp, no sub, alg none', async () => {
    const verify = await verifier({ AUTH_ALGORITHMS: 'RS256,EdDSA' });
    const refusal = async (token: string) =>
      verify.verify(token).then(
        () => 'accepted',
        (error: { message: string; extensions?: { code?: string } }) => `${error.extensions?.code}: ${error.message}`,
      );
    expect(await refusal(await sign(ec, { sub: 'u', role: 'admin' }))).toMatch(
      /^UNAUTHENTICATED: The bearer token is not valid \(.*alg.*\)/,
    );
    const stranger = await signingKey('RS256');
    expect(await refusal(await sign({ ...stranger, kid: rsa.kid }, { sub: 'u', role: 'admin' }))).toMatch(/signature verification failed/);
    const otherIssuer = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'RS256', kid: rsa.kid })
      .setSubject('u')
      .setIssuer('https://evil.example/')
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(rsa.privateKey);
    expect(await refusal(otherIssuer)).toMatch(/"iss" claim/);
    const otherAudience = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'RS256', kid: rsa.kid })
      .setSubject('u')
      .setIssuer(ISSUER)
      .setAudience('another-api')
      .setExpirationTime('5m')
      .sign(rsa.privateKey);
    expect(await refusal(otherAudience)).toMatch(/"aud" claim/);
    expect(await refusal(await sign(rsa, { sub: 'u', role: 'admin', exp: null as never }))).toMatch(/"exp" claim/);
    expect(await refusal(await sign(rsa, { role: 'admin' }))).toMatch(/"sub" claim/);
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(
      JSON.stringify({ sub: 'u', role: 'admin', iss: ISSUER, aud: AUDIENCE, exp: now() + 60 }),
    ).toString('base64url')}.`;
    expect(await refusal(unsigned)).toMatch(/^UNAUTHENTICATED: The bearer token is not valid/);
    expect(await refusal(await sign(rsa, { sub: 'u', role: 'root' }))).toBe(
      'UNAUTHENTICATED: The token carries no Care Graph role in its role claim (expected one of admin, partner, service).',
    );
  });

  it('allows AUTH_CLOCK_SKEW_SECONDS of clock difference on exp and nbf, and no more', async () => {
    const verify = await verifier({ AUTH_CLOCK_SKEW_SECONDS: '30' });
    await expect(verify.verify(await sign(rsa, { sub: 'u', role: 'admin', exp: now() - 20 }))).resolves.toMatchObject({ subject: 'u' });
    await expect(verify.verify(await sign(rsa, { sub: 'u', role: 'admin', exp: now() - 45 }))).rejects.toThrow(
      /"exp" claim timestamp check failed/,
    );
    await expect(verify.verify(await sign(rsa, { sub: 'u', role: 'admin', nbf: now() + 20 }))).resolves.toMatchObject({ subject: 'u' });
    await expect(verify.verify(await sign(rsa, { sub: 'u', role: 'admin', nbf: now() + 45 }))).rejects.toThrow(
      /"nbf" claim timestamp check failed/,
    );
  });

  it('follows a key rotation: an unknown kid fetches the set again, at most once per cooldown; a retired key stops working', async () => {
    // Every key and token is made first: RSA key generation under a loaded machine can take longer than
    // the cooldown, and the checks below must each fall inside or outside it for what they claim.
    const next = await signingKey('RS256');
    const rotated = await sign(next, { sub: 'v', role: 'admin' });
    const retired = await sign(rsa, { sub: 'u', role: 'admin' });
    const forger = await signingKey('RS256');
    const forged = await Promise.all(
      Array.from({ length: 20 }, (_, i) => sign({ ...forger, kid: `made-up-${i}` }, { sub: 'x', role: 'admin' })),
    );
    const verify = await verifier({ AUTH_JWKS_COOLDOWN_SECONDS: '2' });
    expect(await verify.verify(retired)).toMatchObject({ subject: 'u' });
    expect(fetches).toBe(1);

    // The provider rotates: a new RSA key replaces the old one. Within the cooldown of the last fetch the gateway
    // does not ask again; after it, the new kid's first token fetches the set once.
    published = [next, ec, ed];
    await expect(verify.verify(rotated)).rejects.toThrow(/no applicable key found/);
    expect(fetches).toBe(1);
    const deadline = Date.now() + 10_000;
    let identity: unknown;
    while (!identity && Date.now() < deadline) {
      identity = await verify.verify(rotated).catch(() => undefined);
      if (!identity) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(identity).toMatchObject({ subject: 'v' });
    expect(fetches).toBe(2);
    // The retired key is gone from the set the gateway now holds.
    await expect(verify.verify(retired)).rejects.toThrow(/no applicable key found/);

    // A flood of made-up kids costs the provider no more fetches within the cooldown.
    for (const token of forged) await expect(verify.verify(token)).rejects.toThrow();
    expect(fetches).toBe(2);
  });

  it('maps Keycloak, Auth0 and Entra ID role claims, and refuses a token that maps to two roles', async () => {
    const keycloak = await verifier({
      AUTH_ROLE_CLAIM: 'realm_access.roles',
      AUTH_ROLE_MAP: 'care-graph-admin=admin,care-graph-partner=partner',
      AUTH_PARTNER_CLAIM: 'care_graph.partner',
    });
    const kc = await sign(rsa, { sub: 'kc-user', realm_access: { roles: ['offline_access', 'care-graph-admin', 'uma_authorization'] } });
    expect(await keycloak.verify(kc)).toEqual({ subject: 'kc-user', role: 'admin' });
    const kcPartner = await sign(rsa, { sub: 'kc-p', realm_access: { roles: ['care-graph-partner'] }, care_graph: { partner: 'p-9' } });
    expect(await keycloak.verify(kcPartner)).toEqual({ subject: 'kc-p', role: 'partner', partnerId: 'p-9' });
    const both = await sign(rsa, { sub: 'kc-both', realm_access: { roles: ['care-graph-admin', 'care-graph-partner'] } });
    await expect(keycloak.verify(both)).rejects.toThrow(
      "The token's realm_access.roles claim maps to several roles (admin, partner); a token must have one.",
    );
    const noPartner = await sign(rsa, { sub: 'kc-p', realm_access: { roles: ['care-graph-partner'] } });
    await expect(keycloak.verify(noPartner)).rejects.toThrow('A partner token must name its partner in the care_graph.partner claim.');

    // Auth0 puts custom claims under a namespace URL, which contains dots: the whole name is one claim.
    const auth0 = await verifier({ AUTH_ROLE_CLAIM: 'https://care-graph.example/roles', AUTH_ROLE_MAP: 'CareGraphService=service' });
    const a0 = await sign(ec, { sub: 'auth0|42', 'https://care-graph.example/roles': ['CareGraphService'] });
    expect(await auth0.verify(a0)).toEqual({ subject: 'auth0|42', role: 'service' });

    // Entra ID app roles: a `roles` array.
    const entra = await verifier({ AUTH_ROLE_CLAIM: 'roles', AUTH_ROLE_MAP: 'CareGraph.Admin=admin' });
    expect(await entra.verify(await sign(ed, { sub: 'entra-oid', roles: ['CareGraph.Admin'] }))).toEqual({
      subject: 'entra-oid',
      role: 'admin',
    });
  });

  it('names a malformed setting', () => {
    const base = { AUTH_JWKS_URL: 'https://idp.example/jwks', AUTH_ISSUER: ISSUER };
    expect(() => identityProviderSettings({ ...base, AUTH_JWKS_URL: 'not a url' }, AUDIENCE)).toThrow(
      'AUTH_JWKS_URL must be a URL (https://…/jwks.json); it is "not a url".',
    );
    expect(() => identityProviderSettings({ ...base, AUTH_ALGORITHMS: 'HS256' }, AUDIENCE)).toThrow(/AUTH_ALGORITHMS may name RS256/);
    expect(() => identityProviderSettings({ ...base, AUTH_ROLE_MAP: 'boss=root' }, AUDIENCE)).toThrow(
      'AUTH_ROLE_MAP must be providerRole=role pairs separated by commas, each role one of admin, partner, service; "boss=root" is not.',
    );
    expect(() => identityProviderSettings({ ...base, AUTH_CLOCK_SKEW_SECONDS: '-1' }, AUDIENCE)).toThrow(
      /AUTH_CLOCK_SKEW_SECONDS must be a whole number/,
    );
    expect(() => identityProviderSettings({ AUTH_JWKS_URL: base.AUTH_JWKS_URL }, AUDIENCE)).toThrow(
      'AUTH_ISSUER must be set together with AUTH_JWKS_URL.',
    );
  });
});
