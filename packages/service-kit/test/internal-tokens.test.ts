import { randomBytes } from 'node:crypto';
import { decodeJwt, SignJWT } from 'jose';
import { bodyHash, InternalAuth, type InternalCall, internalTokenTtlSeconds, ReplayCache, requestTarget } from '../src/auth/tokens';

const secret = () => new TextEncoder().encode(randomBytes(32).toString('hex'));
const admin = { subject: 'gateway-user', role: 'admin' } as const;
const BODY = JSON.stringify({ query: '{ partners { edges { node { id } } } }' });
const graphqlCall = { service: 'partners', use: 'http', method: 'POST', target: '/graphql', body: BODY } as const;

/** The UNAUTHENTICATED error `promise` rejects with. */
async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => null,
    (e: { message: string; extensions?: { code?: string } }) => e,
  );
  expect(error?.extensions?.code).toBe('UNAUTHENTICATED');
  return error!.message;
}

describe('internal identity tokens, each bound to one call', () => {
  it('verifies the call it was signed for, once, with its identity and request id', async () => {
    const auth = new InternalAuth(secret());
    const token = await auth.sign(admin, 'req-1', graphqlCall);
    expect(await auth.verify(token, graphqlCall)).toEqual({ identity: admin, requestId: 'req-1' });
  });

  it('carries a random jti, the method, the target, the body hash, the use and a 60 s lifetime', async () => {
    const auth = new InternalAuth(secret());
    const [a, b] = [await auth.sign(admin, 'r', graphqlCall), await auth.sign(admin, 'r', graphqlCall)].map(decodeJwt);
    expect(a).toMatchObject({ svc: 'partners', htm: 'POST', htu: '/graphql', use: 'http', bh: bodyHash(BODY) });
    expect(a.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.jti).not.toBe(a.jti);
    expect(a.exp! - a.iat!).toBe(60);
  });

  it('refuses a replay: the same token a second time, even for the very same request', async () => {
    const auth = new InternalAuth(secret());
    const token = await auth.sign(admin, 'r', graphqlCall);
    await auth.verify(token, graphqlCall);
    expect(await refusal(auth.verify(token, graphqlCall))).toBe(
      'The x-care-graph-identity header was already used (replayed); each one is good for one call.',
    );
  });

  it('refuses a token presented with another body, and does not spend it doing so', async () => {
    const auth = new InternalAuth(secret());
    const token = await auth.sign(admin, 'r', graphqlCall);
    const other = { ...graphqlCall, body: JSON.stringify({ query: '{ careRequests { edges { node { id } } } }' }) };
    expect(await refusal(auth.verify(token, other))).toBe('The x-care-graph-identity header was signed for another request body.');
    // Bytes, not meaning: the same JSON with one more space is another body.
    expect(await refusal(auth.verify(token, { ...graphqlCall, body: `${BODY} ` }))).toMatch(/another request body/);
    expect(await refusal(auth.verify(token, { ...graphqlCall, body: '' }))).toMatch(/another request body/);
    await expect(auth.verify(token, graphqlCall)).resolves.toMatchObject({ identity: admin });
  });

  it('refuses a token presented to another service (every subgraph serves /graphql)', async () => {
    const auth = new InternalAuth(secret());
    const token = await auth.sign(admin, 'r', graphqlCall);
    expect(await refusal(auth.verify(token, { ...graphqlCall, service: 'care-requests' }))).toBe(
      'The x-care-graph-identity header was signed for a call to another service, not to care-requests.',
    );
  });

  it.each([
    ['another method', { ...graphqlCall, method: 'GET' }],
    ['another path', { ...graphqlCall, target: '/rosters' }],
    ['another query string', { ...graphqlCall, target: '/graphql?query=%7B__typename%7D' }],
  ])('refuses a token presented for %s', async (_label, call) => {
    const auth = new InternalAuth(secret());
    const token = await auth.sign(admin, 'r', graphqlCall);
    expect(await refusal(auth.verify(token, call as InternalCall))).toBe(
      'The x-care-graph-identity header was signed for another request (method or path).',
    );
  });

  it('binds a streamed upload to its method, path and query string (its body cannot be hashed before it is sent)', async () => {
    const auth = new InternalAuth(secret());
    const upload: InternalCall = { service: 'pop-health', use: 'http', method: 'POST', target: '/rosters?partnerId=p-1&kind=CURRENT' };
    const token = await auth.sign(admin, 'r', upload);
    expect(decodeJwt(token).bh).toBeUndefined();
    expect(await refusal(auth.verify(token, { ...upload, target: '/rosters?partnerId=p-2&kind=CURRENT' }))).toMatch(/another request/);
    await expect(auth.verify(token, upload)).resolves.toMatchObject({ identity: admin });
    expect(await refusal(auth.verify(token, upload))).toMatch(/replayed/);
  });

  it('refuses a bodiless token where the callee reads the body whole', async () => {
    const auth = new InternalAuth(secret());
    const token = await auth.sign(admin, 'r', { service: 'partners', use: 'http', method: 'POST', target: '/graphql' });
    expect(await refusal(auth.verify(token, graphqlCall))).toMatch(/another request body/);
  });

  it('keeps WebSocket and HTTP tokens apart', async () => {
    const auth = new InternalAuth(secret());
    const ws: InternalCall = { service: 'partners', use: 'ws', target: '/graphql' };
    const wsToken = await auth.sign(admin, 'r', ws);
    expect(decodeJwt(wsToken)).toMatchObject({ use: 'ws', htm: 'GET', htu: '/graphql' });
    expect(await refusal(auth.verify(wsToken, graphqlCall))).toBe(
      'The x-care-graph-identity header was signed for a WebSocket connection, not for an HTTP request.',
    );
    const httpToken = await auth.sign(admin, 'r', graphqlCall);
    expect(await refusal(auth.verify(httpToken, ws))).toBe(
      'The x-care-graph-identity header was signed for an HTTP request, not for a WebSocket connection.',
    );
    await expect(auth.verify(wsToken, ws)).resolves.toMatchObject({ identity: admin });
    expect(await refusal(auth.verify(wsToken, ws))).toMatch(/replayed/);
  });

  it('refuses a token forged with another secret, and one that is not signed at all', async () => {
    const forged = await new InternalAuth(secret()).sign(admin, 'r', graphqlCall);
    expect(await refusal(new InternalAuth(secret()).verify(forged, graphqlCall))).toMatch(/not valid \(signature verification failed\)/);
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(decodeJwt(forged))).toString('base64url')}.`;
    expect(await refusal(new InternalAuth(secret()).verify(unsigned, graphqlCall))).toMatch(/not valid/);
  });

  /** A token with the right secret and binding but the claims `claims` set by hand. */
  const handMade = async (key: Uint8Array, claims: { iat: number; exp: number; jti?: string }) => {
    const jwt = new SignJWT({ role: 'admin', svc: 'partners', use: 'http', htm: 'POST', htu: '/graphql', bh: bodyHash(BODY) })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('mallory')
      .setIssuer('care-graph-gateway')
      .setAudience('care-graph-internal')
      .setIssuedAt(claims.iat)
      .setExpirationTime(claims.exp);
    return (claims.jti ? jwt.setJti(claims.jti) : jwt).sign(key);
  };

  it('refuses an expired token, one without a jti, and one that lives longer than 300 s', async () => {
    const key = secret();
    const auth = new InternalAuth(key);
    const now = Math.floor(Date.now() / 1000);
    expect(await refusal(auth.verify(await handMade(key, { iat: now - 120, exp: now - 60, jti: 'a' }), graphqlCall))).toMatch(
      /not valid \("exp" claim timestamp check failed\)/,
    );
    expect(await refusal(auth.verify(await handMade(key, { iat: now, exp: now + 60 }), graphqlCall))).toMatch(/missing required "jti"/);
    expect(await refusal(auth.verify(await handMade(key, { iat: now, exp: now + 3600, jti: 'b' }), graphqlCall))).toMatch(
      /lives longer than 300 seconds/,
    );
  });

  it('accepts a token from a host whose clock runs a few seconds ahead', async () => {
    const key = secret();
    const now = Math.floor(Date.now() / 1000);
    const ahead = await handMade(key, { iat: now + 3, exp: now + 63, jti: 'c' });
    await expect(new InternalAuth(key).verify(ahead, graphqlCall)).resolves.toMatchObject({ identity: { role: 'admin' } });
  });

  it('refuses a missing header with the sentence it always had', async () => {
    expect(await refusal(new InternalAuth(secret()).verify(undefined, graphqlCall))).toMatch(/missing x-care-graph-identity header/);
  });
});

describe('INTERNAL_TOKEN_TTL_SECONDS', () => {
  it('is 60 s by default and sets the lifetime of the tokens signed', async () => {
    expect(internalTokenTtlSeconds({})).toBe(60);
    const auth = new InternalAuth(secret(), { ttlSeconds: internalTokenTtlSeconds({ INTERNAL_TOKEN_TTL_SECONDS: '20' }) });
    const claims = decodeJwt(await auth.sign(admin, 'r', graphqlCall));
    expect(claims.exp! - claims.iat!).toBe(20);
  });

  it.each(['0', '4', '301', '1.5', 'soon'])('refuses %j with a sentence naming the setting', (value) => {
    expect(() => internalTokenTtlSeconds({ INTERNAL_TOKEN_TTL_SECONDS: value })).toThrow(
      `INTERNAL_TOKEN_TTL_SECONDS must be a whole number from 5 to 300; it is ${JSON.stringify(value)}.`,
    );
  });
});

describe('ReplayCache', () => {
  it('takes an id once until it expires, then forgets it', () => {
    let now = 1_000;
    const cache = new ReplayCache(10, () => now);
    expect(cache.claim('a', 2_000)).toBe(true);
    expect(cache.claim('a', 2_000)).toBe(false);
    now = 2_000;
    expect(cache.claim('b', 3_000)).toBe(true);
    expect(cache.size).toBe(1); // 'a' expired and was dropped
  });

  it('stays within its bound, letting the ids closest to expiry go first', () => {
    const cache = new ReplayCache(3, () => 0);
    for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) expect(cache.claim(id, 1_000 + i)).toBe(true);
    expect(cache.size).toBe(3);
    expect(cache.claim('d', 2_000)).toBe(false);
    expect(cache.claim('b', 2_000)).toBe(false);
    expect(cache.claim('a', 2_000)).toBe(true); // evicted to make room for 'd'
  });
});

describe('requestTarget', () => {
  it('is the path and query string, without scheme or host', () => {
    expect(requestTarget('http://127.0.0.1:4001/graphql')).toBe('/graphql');
    expect(requestTarget('http://pop-health:4003/rosters?partnerId=p-1&kind=CURRENT')).toBe('/rosters?partnerId=p-1&kind=CURRENT');
    expect(requestTarget('ws://localhost:4002/graphql')).toBe('/graphql');
  });
});
