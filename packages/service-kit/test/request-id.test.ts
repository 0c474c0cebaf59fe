import { randomBytes, randomUUID } from 'node:crypto';
import { IDENTITY_HEADER, InternalAuth, internalHeaders, REQUEST_ID_HEADER, requestIdOf } from '../src/auth/tokens';

describe('the request id', () => {
  it('is taken from x-request-id when it is an id: up to 100 of letters, digits and . _ : -', () => {
    expect(requestIdOf({ [REQUEST_ID_HEADER]: 'abc' })).toBe('abc');
    expect(requestIdOf({ [REQUEST_ID_HEADER]: '3f2a9c1e-7b4d-4e8a-9c0f-2d5e6a7b8c9d' })).toBe('3f2a9c1e-7b4d-4e8a-9c0f-2d5e6a7b8c9d');
    expect(requestIdOf({ [REQUEST_ID_HEADER]: 'x'.repeat(100) })).toBe('x'.repeat(100));
    // Digit runs inside a UUID's segments are not an SSN: a client's UUIDs are always kept.
    for (let i = 0; i < 2000; i += 1) {
      const uuid = randomUUID();
      expect(requestIdOf({ [REQUEST_ID_HEADER]: uuid })).toBe(uuid);
    }
    expect(requestIdOf({ [REQUEST_ID_HEADER]: '12345678-1234-4123-8123-123456789012' })).toBe('12345678-1234-4123-8123-123456789012');
  });

  it.each([
    ['longer than 100 characters', 'x'.repeat(101)],
    ['an SSN with dashes', '123-45-6789'],
    ['an SSN in a longer id', 'req.123456789'],
    ['an SSN with dots', 'trace:123.45.6789:x'],
    ['free text', 'Ann Lee 1950-06-05'],
    ['a control character', 'req\u0007'],
  ])('is replaced by a new one when the sent one is %s', (_label, sent) => {
    const made = requestIdOf({ [REQUEST_ID_HEADER]: sent });
    expect(made).not.toBe(sent);
    expect(made).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('is new when the caller sent none (or an empty one)', () => {
    const made = requestIdOf({});
    expect(made).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdOf({ [REQUEST_ID_HEADER]: '' })).not.toBe('');
    expect(requestIdOf({})).not.toBe(made);
  });

  it('travels inside the signed identity, which is what the callee trusts, and in the clear beside it', async () => {
    const auth = new InternalAuth(new TextEncoder().encode(randomBytes(32).toString('hex')));
    const call = { service: 'partners', use: 'http', method: 'POST', target: '/graphql', body: '{"query":"{ __typename }"}' } as const;
    const headers = await internalHeaders(auth, { subject: 'gateway-user', role: 'partner', partnerId: 'p1' }, 'req-7', call);
    expect(headers[REQUEST_ID_HEADER]).toBe('req-7');
    expect(await auth.verify(headers[IDENTITY_HEADER], call)).toEqual({
      identity: { subject: 'gateway-user', role: 'partner', partnerId: 'p1' },
      requestId: 'req-7',
    });
  });
});
