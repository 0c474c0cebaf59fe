import { randomBytes } from 'node:crypto';
import { IDENTITY_HEADER, InternalAuth, internalHeaders, REQUEST_ID_HEADER, requestIdOf } from '../src/auth/tokens';

describe('the request id', () => {
  it('is taken from x-request-id, cut to 100 characters', () => {
    expect(requestIdOf({ [REQUEST_ID_HEADER]: 'abc' })).toBe('abc');
    expect(requestIdOf({ [REQUEST_ID_HEADER]: 'x'.repeat(300) })).toBe('x'.repeat(100));
  });

  it('is new when the caller sent none (or an empty one)', () => {
    const made = requestIdOf({});
    expect(made).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdOf({ [REQUEST_ID_HEADER]: '' })).not.toBe('');
    expect(requestIdOf({})).not.toBe(made);
  });

  it('travels inside the signed identity, which is what the callee trusts, and in the clear beside it', async () => {
    const auth = new InternalAuth(new TextEncoder().encode(randomBytes(32).toString('hex')));
    const headers = await internalHeaders(auth, { subject: 'gateway-user', role: 'partner', partnerId: 'p1' }, 'req-7');
    expect(headers[REQUEST_ID_HEADER]).toBe('req-7');
    expect(await auth.verify(headers[IDENTITY_HEADER])).toEqual({
      identity: { subject: 'gateway-user', role: 'partner', partnerId: 'p1' },
      requestId: 'req-7',
    });
  });
});
