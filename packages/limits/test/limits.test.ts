import { boundEcho, QUOTED_PREFIX, quote, TEXT_LIMITS, textFault } from '../src';

describe('textFault', () => {
  it('accepts ordinary text, accents, emoji and the whitespace controls', () => {
    for (const value of ["O'Brien", 'Zoë Ñúñez', '李小龍', 'line one\nline two\ttab\r', '👩‍⚕️ care', ''])
      expect(textFault(value, TEXT_LIMITS.other)).toBeNull();
  });

  it('names the control character, NUL first of all, without the value', () => {
    expect(textFault('Ann\u0000Lee', 100)).toBe('contains the control character U+0000');
    expect(textFault('bell\u0007', 100)).toBe('contains the control character U+0007');
    expect(textFault('del\u007f', 100)).toBe('contains the control character U+007F');
    expect(textFault('escape\u001b[0m', 100)).toBe('contains the control character U+001B');
  });

  it('refuses a lone surrogate either way round, and keeps a pair', () => {
    expect(textFault('a\uD83Db', 100)).toBe('is not well-formed Unicode (it holds a lone surrogate)');
    expect(textFault('a\uDE00b', 100)).toBe('is not well-formed Unicode (it holds a lone surrogate)');
    expect(textFault('end\uD83D', 100)).toBe('is not well-formed Unicode (it holds a lone surrogate)');
    expect(textFault('\uD83D\uDE00', 100)).toBeNull();
  });

  it('counts the limit inclusively', () => {
    expect(textFault('x'.repeat(TEXT_LIMITS.personName), TEXT_LIMITS.personName)).toBeNull();
    expect(textFault('x'.repeat(TEXT_LIMITS.personName + 1), TEXT_LIMITS.personName)).toBe('is longer than 100 characters');
  });
});

describe('quote and boundEcho', () => {
  it('quotes short values whole and long ones by their prefix', () => {
    expect(quote('1950-13-01')).toBe('"1950-13-01"');
    const long = 'y'.repeat(100_000);
    expect(quote(long)).toBe(`"${'y'.repeat(QUOTED_PREFIX)}…"`);
  });

  it('cuts every long quoted run of a library message and leaves short ones', () => {
    const value = 'z'.repeat(100_000);
    const message = `Variable "$when" got invalid value "${value}"; "${value}" is not a valid Date.`;
    const bounded = boundEcho(message);
    expect(bounded).toBe(
      `Variable "$when" got invalid value "${'z'.repeat(QUOTED_PREFIX)}…"; "${'z'.repeat(QUOTED_PREFIX)}…" is not a valid Date.`,
    );
  });

  it('keeps escaped quotes inside a quoted run and bounds the whole message', () => {
    expect(boundEcho('got "a \\"b\\" c"')).toBe('got "a \\"b\\" c"');
    const unquoted = `word `.repeat(1000);
    expect(boundEcho(unquoted).length).toBeLessThanOrEqual(1001);
  });
});
