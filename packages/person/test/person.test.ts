import { isSexCode, parseSsn, SEX_CODES, Sex, usableSsn } from '../src';
import { PLACEHOLDER_SSNS as PLACEHOLDERS, REAL_SSNS as REAL } from './ssn-examples';

describe('the SSN rule', () => {
  it.each(REAL)('keeps the real-looking %s as nine digits, also written with dashes or spaces', (ssn) => {
    for (const written of [
      ssn,
      `${ssn.slice(0, 3)}-${ssn.slice(3, 5)}-${ssn.slice(5)}`,
      ` ${ssn.slice(0, 3)} ${ssn.slice(3, 5)} ${ssn.slice(5)} `,
    ]) {
      expect(parseSsn(written)).toEqual({ ssn });
      expect(usableSsn(written)).toBe(ssn);
    }
  });

  it.each(PLACEHOLDERS)('takes the placeholder %s as no SSN', (ssn) => {
    expect(parseSsn(ssn)).toEqual({ ssn: null });
    expect(parseSsn(`${ssn.slice(0, 3)}-${ssn.slice(3, 5)}-${ssn.slice(5)}`)).toEqual({ ssn: null });
  });

  it.each([null, undefined, '', '  ', '--'])('takes %j as no SSN', (text) => {
    expect(parseSsn(text)).toEqual({ ssn: null });
  });

  it.each(['12345', '1234567890', '12-34', '123.45.6780', '12345678O', '１２３４５６７８０'])('finds %j invalid', (text) => {
    expect(parseSsn(text)).toEqual({ invalid: true });
    expect(usableSsn(text)).toBeNull();
  });
});

describe('sex codes', () => {
  it('are F, M, O and U, exactly', () => {
    expect(SEX_CODES).toEqual(['F', 'M', 'O', 'U']);
    expect(Sex.F).toBe('F');
    for (const code of SEX_CODES) expect(isSexCode(code)).toBe(true);
    for (const other of ['f', 'X', '', null, 1]) expect(isSexCode(other)).toBe(false);
  });
});
