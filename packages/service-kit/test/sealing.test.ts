import { randomBytes } from 'node:crypto';
import { Sealer, SSN_FOR_MATCHING } from '../src/auth/sealing';

describe('Sealer', () => {
  const secret = randomBytes(32);
  const sealer = new Sealer(secret, SSN_FOR_MATCHING);

  it('opens what it sealed, and seals the same text differently every time', () => {
    const first = sealer.seal('123456780');
    const second = sealer.seal('123456780');
    expect(first).not.toBe(second);
    expect(sealer.open(first)).toBe('123456780');
    expect(sealer.open(second)).toBe('123456780');
    expect(first).not.toContain('123456780');
    expect(first).not.toContain('6780');
  });

  it('opens nothing sealed under another secret or for another purpose', () => {
    const sealed = sealer.seal('123456780');
    expect(new Sealer(randomBytes(32), SSN_FOR_MATCHING).open(sealed)).toBeNull();
    expect(new Sealer(secret, 'another purpose').open(sealed)).toBeNull();
    expect(new Sealer(Buffer.from(secret), SSN_FOR_MATCHING).open(sealed)).toBe('123456780');
  });

  it('opens nothing changed or made up', () => {
    const sealed = sealer.seal('123456780');
    for (let i = 3; i < sealed.length; i += 1) {
      const changed = sealed.slice(0, i) + (sealed[i] === 'A' ? 'B' : 'A') + sealed.slice(i + 1);
      expect(sealer.open(changed)).toBeNull();
    }
    for (const bogus of ['', 'v1.', 'v1.abc', '123456780', `v2.${sealed.slice(3)}`, sealed.slice(0, -2)])
      expect(sealer.open(bogus)).toBeNull();
  });
});
