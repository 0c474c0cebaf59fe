import { assertPartnerAccess, authorize, type Identity, roleAuthChecker } from '../src/auth/roles';

const admin: Identity = { subject: 'a', role: 'admin' };
const service: Identity = { subject: 's', role: 'service' };
const partner: Identity = { subject: 'p', role: 'partner', partnerId: 'p1' };
const code = (work: () => unknown) => {
  try {
    work();
    return 'allowed';
  } catch (error) {
    return (error as { extensions: { code: string } }).extensions.code;
  }
};

describe('the role rule', () => {
  it('lets admin do everything', () => {
    expect(code(() => authorize(admin, ['service']))).toBe('allowed');
    expect(code(() => authorize(admin, ['partner']))).toBe('allowed');
  });

  it('lets another role in only when the resource names it', () => {
    expect(code(() => authorize(service, ['service']))).toBe('allowed');
    expect(code(() => authorize(partner, ['partner', 'service']))).toBe('allowed');
    expect(code(() => authorize(partner, ['service']))).toBe('FORBIDDEN');
    expect(code(() => authorize(service, ['admin']))).toBe('FORBIDDEN');
  });

  it('names the roles that would be allowed, and the one the token has', () => {
    expect(() => authorize(partner, ['service'])).toThrow('This needs the admin or service role; your token has the partner role.');
    expect(() => authorize(service, ['admin'])).toThrow('This needs the admin role; your token has the service role.');
  });

  it('lets any signed-in identity in when no role is named, and nobody without one', () => {
    expect(code(() => authorize(partner, []))).toBe('allowed');
    expect(code(() => authorize(undefined, ['service']))).toBe('UNAUTHENTICATED');
  });

  it('is the rule behind @Authorized', () => {
    const check = (identity: Identity, roles: Parameters<typeof authorize>[1]) =>
      code(() => roleAuthChecker({ context: { identity }, root: {}, args: {}, info: {} as never }, [...roles]));
    expect(check(admin, ['service'])).toBe('allowed');
    expect(check(partner, ['service'])).toBe('FORBIDDEN');
  });

  it('keeps partner tokens to their own partner', () => {
    expect(code(() => assertPartnerAccess(partner, 'p1'))).toBe('allowed');
    expect(code(() => assertPartnerAccess(partner, 'p2'))).toBe('FORBIDDEN');
    expect(code(() => assertPartnerAccess(service, 'p2'))).toBe('allowed');
  });
});
