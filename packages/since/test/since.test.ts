import {
  compileLastUpdated,
  LAST_UPDATED_OPERATORS,
  type LastUpdatedFilterInput,
  type LastUpdatedOperator,
  lowerBound,
  matchesLastUpdated,
  PartialDateTimeError,
  parsePartialDateTime,
} from '../src';

const t = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

/** The error a call throws; fails the test when it does not throw. */
function thrown(call: () => unknown): PartialDateTimeError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(PartialDateTimeError);
    return error as PartialDateTimeError;
  }
  throw new Error('expected a PartialDateTimeError, nothing was thrown');
}

/** Which of the named instants a filter admits. */
function admitted(filter: LastUpdatedFilterInput, instants: Record<string, string | null>): string[] {
  const condition = compileLastUpdated(filter);
  return Object.entries(instants)
    .filter(([, at]) => matchesLastUpdated(condition, at === null ? null : t(at)))
    .map(([name]) => name);
}

describe('the examples of the issue', () => {
  const records = {
    A: '2019-09-30T23:59:59.999Z',
    B: '2019-10-01T00:00:00.000Z',
    C: '2019-10-01T12:00:00.000Z',
    D: '2019-10-01T23:59:59.999Z',
    E: '2019-10-02T00:00:00.000Z',
  };
  it.each([
    [{ eq: '2019-10-01' }, ['B', 'C', 'D']],
    [{ gt: '2019-10-01' }, ['E']],
    [{ le: '2019-10-01' }, ['A', 'B', 'C', 'D']],
    [{ ge: '2019-10-01T14:00:00+02:00' }, ['C', 'D', 'E']],
    [{ gt: '2019-10-01T12:00:00.000Z' }, ['D', 'E']],
    [{ lt: '2019-10-01' }, ['A']],
    [{ ne: '2019-10-01' }, ['A', 'E']],
    [{ ge: '2019-10-01' }, ['B', 'C', 'D', 'E']],
  ])('%j admits %j', (filter, expected) => {
    expect(admitted(filter, records)).toEqual(expected);
  });
});

describe('parsePartialDateTime: the range of each precision', () => {
  it.each([
    ['2019', '2019-01-01T00:00:00.000Z', '2020-01-01T00:00:00.000Z'],
    ['2019-10', '2019-10-01T00:00:00.000Z', '2019-11-01T00:00:00.000Z'],
    ['2019-12', '2019-12-01T00:00:00.000Z', '2020-01-01T00:00:00.000Z'],
    ['2019-10-01', '2019-10-01T00:00:00.000Z', '2019-10-02T00:00:00.000Z'],
    ['2019-12-31', '2019-12-31T00:00:00.000Z', '2020-01-01T00:00:00.000Z'],
    ['2019-10-01T12:00Z', '2019-10-01T12:00:00.000Z', '2019-10-01T12:01:00.000Z'],
    ['2019-10-01T12:00:30Z', '2019-10-01T12:00:30.000Z', '2019-10-01T12:00:31.000Z'],
    ['2019-10-01T12:00:30.5Z', '2019-10-01T12:00:30.500Z', '2019-10-01T12:00:30.600Z'],
    ['2019-10-01T12:00:30.25Z', '2019-10-01T12:00:30.250Z', '2019-10-01T12:00:30.260Z'],
    ['2019-10-01T12:00:30.125Z', '2019-10-01T12:00:30.125Z', '2019-10-01T12:00:30.126Z'],
    ['2019-10-01T12:00', '2019-10-01T12:00:00.000Z', '2019-10-01T12:01:00.000Z'], // no zone = UTC
    ['2019-10-01T14:00:00+02:00', '2019-10-01T12:00:00.000Z', '2019-10-01T12:00:01.000Z'],
    ['2019-10-01T06:30-05:30', '2019-10-01T12:00:00.000Z', '2019-10-01T12:01:00.000Z'],
    ['2019-10-01T00:30+01:00', '2019-09-30T23:30:00.000Z', '2019-09-30T23:31:00.000Z'], // crosses midnight
    ['2020-02-29', '2020-02-29T00:00:00.000Z', '2020-03-01T00:00:00.000Z'],
    ['2000-02-29', '2000-02-29T00:00:00.000Z', '2000-03-01T00:00:00.000Z'],
    ['2020-02', '2020-02-01T00:00:00.000Z', '2020-03-01T00:00:00.000Z'],
    ['2019-02', '2019-02-01T00:00:00.000Z', '2019-03-01T00:00:00.000Z'],
    ['2019-04-30', '2019-04-30T00:00:00.000Z', '2019-05-01T00:00:00.000Z'],
    ['2019-02-28', '2019-02-28T00:00:00.000Z', '2019-03-01T00:00:00.000Z'],
    ['2020-02-28', '2020-02-28T00:00:00.000Z', '2020-02-29T00:00:00.000Z'],
    ['2019-12-31T23:59Z', '2019-12-31T23:59:00.000Z', '2020-01-01T00:00:00.000Z'],
    ['2019-12-31T23:59:59.9Z', '2019-12-31T23:59:59.900Z', '2020-01-01T00:00:00.000Z'],
    ['2019-10-01T12:00:30.05Z', '2019-10-01T12:00:30.050Z', '2019-10-01T12:00:30.060Z'],
    ['2019-10-01T12:00:30.007Z', '2019-10-01T12:00:30.007Z', '2019-10-01T12:00:30.008Z'],
    ['2019-10-01T12:00:00.000+00:00', '2019-10-01T12:00:00.000Z', '2019-10-01T12:00:00.001Z'],
    ['2019-10-01T12:00:00-00:00', '2019-10-01T12:00:00.000Z', '2019-10-01T12:00:01.000Z'],
    ['2019-10-01T02:00-14:00', '2019-10-01T16:00:00.000Z', '2019-10-01T16:01:00.000Z'],
    ['2019-01-31', '2019-01-31T00:00:00.000Z', '2019-02-01T00:00:00.000Z'],
    ['0001', '0001-01-01T00:00:00.000Z', '0002-01-01T00:00:00.000Z'],
    ['0099-06', '0099-06-01T00:00:00.000Z', '0099-07-01T00:00:00.000Z'],
    ['0004-02-29', '0004-02-29T00:00:00.000Z', '0004-03-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z', '+010000-01-01T00:00:00.000Z'],
    ['2019-10-01T12:00+14:00', '2019-09-30T22:00:00.000Z', '2019-09-30T22:01:00.000Z'],
    ['2019-10-01T12:00-14:00', '2019-10-02T02:00:00.000Z', '2019-10-02T02:01:00.000Z'],
  ])('%s is [%s, %s)', (value, start, end) => {
    const range = parsePartialDateTime(value);
    expect([iso(range.start), iso(range.end)]).toEqual([start, end]);
  });
});

describe('parsePartialDateTime rejects malformed values, naming them', () => {
  it.each([
    ['2019-13-01', 'month must be 01–12'],
    ['2019-00', 'month must be 01–12'],
    ['2019-10-01T12Z', 'an hour needs minutes'],
    ['2019-10-01T12', 'an hour needs minutes'],
    ['xx2019', 'not in a supported form'],
    ['23 May 2019', 'not in a supported form'],
    ['2019-02-29', 'has no day 29'],
    ['1900-02-29', 'has no day 29'],
    ['0100-02-29', 'has no day 29'],
    ['2019-04-31', 'has no day 31'],
    ['2019-10-00', 'has no day 00'],
    ['2019-10-01T24:00Z', 'hours must be 00–23'],
    ['2019-10-01T12:60Z', 'minutes must be 00–59'],
    ['2019-10-01T12:00:61Z', 'seconds must be 00–59'],
    ['2019-10-01T12:00:00.1234Z', 'at most millisecond precision'],
    ['2019-10-01T12:00+15:00', 'from -14:00 to +14:00'],
    ['2019-10-01T12:00+14:01', 'from -14:00 to +14:00'],
    ['2019-10-01T12:00-14:01', 'from -14:00 to +14:00'],
    ['2019-10-01T12:00:60Z', 'seconds must be 00–59'], // no leap seconds: epoch ms has none
    ['2019-10-01T12:00:00.123456789Z', 'at most millisecond precision'],
    ['2019-10-01T12:00+01:60', 'zone minutes must be 00–59'],
    ['', 'it is empty'],
    [' 2019', 'not in a supported form'],
    ['2019 ', 'not in a supported form'],
    ['0000', 'the year must be 0001–9999'],
    ['19', 'not in a supported form'],
    ['2019-1-1', 'not in a supported form'],
    ['2019-10-01T', 'not in a supported form'],
    ['2019-10-01 12:00Z', 'not in a supported form'],
    ['2019-10-01T12:00:00.Z', 'not in a supported form'],
    ['2019-10-01T12:00+0200', 'not in a supported form'],
    ['2019-10-01T12:00+02', 'not in a supported form'],
    ['2019-10-01T12:00.5Z', 'not in a supported form'], // a fraction needs seconds
    ['2019-10-01Z', 'not in a supported form'], // dates carry no zone
    ['2019-10-01t12:00z', 'not in a supported form'],
    ['20191001', 'not in a supported form'],
    ['10000', 'not in a supported form'],
    ['２０１９', 'not in a supported form'], // full-width digits
    ['2019\n', 'not in a supported form'],
  ])('%j: %s', (value, reason) => {
    const error = thrown(() => parsePartialDateTime(value));
    expect(error.value).toBe(value);
    expect(error.message).toContain(`"${value}"`);
    expect(error.message).toContain(reason);
    expect(error.message).toContain('YYYY-MM-DDThh:mm[:ss[.sss]]');
  });

  it('words the message as documented', () => {
    expect(thrown(() => parsePartialDateTime('2019-13-01')).message).toBe(
      '"2019-13-01" is not a valid PartialDateTime: month must be 01–12. ' +
        'Use YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss[.sss]][Z|±hh:mm].',
    );
  });

  it('is an Error named PartialDateTimeError', () => {
    const error = thrown(() => parsePartialDateTime('xx2019'));
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('PartialDateTimeError');
  });

  it('rejects a value that is not a string at all (untyped callers)', () => {
    expect(thrown(() => parsePartialDateTime(2019 as unknown as string)).message).toContain('not a string');
  });

  it('prefixes the operator when a filter value is malformed', () => {
    expect(thrown(() => compileLastUpdated({ ge: '2019', gt: 'soon' })).message).toBe(
      'lastUpdated.gt: "soon" is not a valid PartialDateTime: it is not in a supported form. ' +
        'Use YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss[.sss]][Z|±hh:mm].',
    );
  });

  it('quotes at most a short prefix of a long value', () => {
    const message = thrown(() => compileLastUpdated({ gt: `2019${'x'.repeat(100_000)}` })).message;
    expect(message).toContain('"2019xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…" is not a valid PartialDateTime');
    expect(message.length).toBeLessThan(300);
  });

  it('keeps the raw value on a prefixed error', () => {
    expect(thrown(() => compileLastUpdated({ le: '2019-13' })).value).toBe('2019-13');
  });

  it('reports a malformed value even when the other operators are unsatisfiable together', () => {
    expect(thrown(() => compileLastUpdated({ gt: '2020', lt: '2019', le: 'later' })).message).toMatch(/^lastUpdated\.le: "later"/);
  });
});

describe('every operator at every precision, at the range edges', () => {
  const values = [
    '2019',
    '2019-10',
    '2019-10-01',
    '2019-10-01T12:00Z',
    '2019-10-01T12:00:30Z',
    '2019-10-01T12:00:30.5Z',
    '2019-10-01T12:00:30.25Z',
    '2019-10-01T12:00:30.125Z',
    '2019-10-01T14:00:30+02:00',
    '2019-10-01T06:30:30-05:30',
  ];
  const expected: Record<LastUpdatedOperator, (at: number, s: number, e: number) => boolean> = {
    eq: (at, s, e) => at >= s && at < e,
    ne: (at, s, e) => at < s || at >= e,
    gt: (at, _s, e) => at >= e,
    ge: (at, s) => at >= s,
    lt: (at, s) => at < s,
    le: (at, _s, e) => at < e,
  };
  for (const value of values) {
    for (const operator of LAST_UPDATED_OPERATORS) {
      it(`${operator} ${value}`, () => {
        const { start, end } = parsePartialDateTime(value);
        const condition = compileLastUpdated({ [operator]: value });
        for (const at of [start - 1, start, start + 1, end - 1, end, end + 1]) {
          expect([iso(at), matchesLastUpdated(condition, at)]).toEqual([iso(at), expected[operator](at, start, end)]);
        }
        expect(matchesLastUpdated(condition, null)).toBe(false);
      });
    }
  }
});

describe('combinations (AND)', () => {
  it('a ge + lt window is one interval', () => {
    expect(compileLastUpdated({ ge: '2019-10-01', lt: '2019-10-03' })).toEqual({
      intervals: [{ from: t('2019-10-01T00:00:00Z'), to: t('2019-10-03T00:00:00Z') }],
      bounded: true,
    });
  });

  it('ne inside a window splits it in two', () => {
    expect(compileLastUpdated({ ge: '2019-10', lt: '2019-11', ne: '2019-10-15' }).intervals).toEqual([
      { from: t('2019-10-01T00:00:00Z'), to: t('2019-10-15T00:00:00Z') },
      { from: t('2019-10-16T00:00:00Z'), to: t('2019-11-01T00:00:00Z') },
    ]);
  });

  it.each([
    [{ gt: '2019-10-02', lt: '2019-10-01' }],
    [{ gt: '2019-10-01', lt: '2019-10-02' }], // gt: from 10-02, lt: before 10-02
    [{ eq: '2019-10-01', ne: '2019-10-01' }],
    [{ eq: '2019-10-01', ne: '2019-10' }],
    [{ eq: '2019', gt: '2019-12-31' }],
  ])('an unsatisfiable combination %j has no interval (not an error)', (filter) => {
    const condition = compileLastUpdated(filter);
    expect(condition).toEqual({ intervals: [], bounded: true });
    expect(matchesLastUpdated(condition, t('2019-10-01T12:00:00Z'))).toBe(false);
    expect(lowerBound(condition)).toBeNull();
  });

  it('eq of a day and ne of an hour inside it leaves the rest of the day', () => {
    const condition = compileLastUpdated({ eq: '2019-10-01', ne: '2019-10-01T12:00:00Z' });
    expect(matchesLastUpdated(condition, t('2019-10-01T12:00:00.500Z'))).toBe(false);
    expect(matchesLastUpdated(condition, t('2019-10-01T12:00:01.000Z'))).toBe(true);
    expect(matchesLastUpdated(condition, t('2019-10-01T11:59:59.999Z'))).toBe(true);
  });

  it.each([[undefined], [null], [{}], [{ gt: null, lt: undefined }]])('no operator in %j admits every instant', (filter) => {
    expect(compileLastUpdated(filter)).toEqual({ intervals: [{ from: -Infinity, to: Infinity }], bounded: false });
  });

  it('ignores a null operator beside a given one', () => {
    expect(compileLastUpdated({ ge: '2019', lt: null })).toEqual({
      intervals: [{ from: t('2019-01-01T00:00:00Z'), to: Infinity }],
      bounded: true,
    });
  });

  it('admits legacy records (no lastUpdated) when no operator is given', () => {
    expect(matchesLastUpdated(compileLastUpdated(null), null)).toBe(true);
  });

  it('excludes legacy records when an operator is given', () => {
    expect(matchesLastUpdated(compileLastUpdated({ ge: '2019' }), null)).toBe(false);
  });

  it('a repeated bound keeps the tighter one', () => {
    expect(compileLastUpdated({ ge: '2019-10', gt: '2019-10-15' }).intervals).toEqual([{ from: t('2019-10-16T00:00:00Z'), to: Infinity }]);
  });

  it('le and lt with the same value differ by the whole range', () => {
    expect(compileLastUpdated({ le: '2019-10-01' }).intervals).toEqual([{ from: -Infinity, to: t('2019-10-02T00:00:00Z') }]);
    expect(compileLastUpdated({ lt: '2019-10-01' }).intervals).toEqual([{ from: -Infinity, to: t('2019-10-01T00:00:00Z') }]);
  });

  it('ne at the edge of a window trims it instead of splitting it', () => {
    expect(compileLastUpdated({ ge: '2019-10-01', lt: '2019-10-03', ne: '2019-10-01' }).intervals).toEqual([
      { from: t('2019-10-02T00:00:00Z'), to: t('2019-10-03T00:00:00Z') },
    ]);
  });

  it('ne alone leaves two unbounded intervals', () => {
    expect(compileLastUpdated({ ne: '2019' }).intervals).toEqual([
      { from: -Infinity, to: t('2019-01-01T00:00:00Z') },
      { from: t('2020-01-01T00:00:00Z'), to: Infinity },
    ]);
  });

  it('excludes legacy records whenever any bound is given, even a very wide one', () => {
    expect(matchesLastUpdated(compileLastUpdated({ ne: '0001' }), null)).toBe(false);
    expect(matchesLastUpdated(compileLastUpdated({ le: '9999' }), null)).toBe(false);
  });
});

describe('lowerBound', () => {
  it.each([
    [{ gt: '2019-10-01T12:00:00.000Z' }, '2019-10-01T12:00:00.001Z'],
    [{ gt: '2019-10-01' }, '2019-10-02T00:00:00.000Z'],
    [{ ge: '2019-10' }, '2019-10-01T00:00:00.000Z'],
    [{ eq: '2019-10-01', ne: '2019-10-01T00:00Z' }, '2019-10-01T00:01:00.000Z'],
  ])('%j starts at %s', (filter, expected) => {
    expect(iso(lowerBound(compileLastUpdated(filter))!)).toBe(expected);
  });

  it.each([[{ lt: '2019' }], [{ le: '2019' }], [{ ne: '2019' }], [{}]])('is null without a finite lower bound: %j', (filter) => {
    expect(lowerBound(compileLastUpdated(filter))).toBeNull();
  });

  it('is null for an unsatisfiable condition', () => {
    expect(lowerBound(compileLastUpdated({ gt: '2020', lt: '2019' }))).toBeNull();
  });
});

describe('leap days and month ends through the operators', () => {
  it.each([
    [{ gt: '2019-01-31' }, '2019-01-31T23:59:59.999Z', '2019-02-01T00:00:00.000Z'],
    [{ gt: '2019-02-28' }, '2019-02-28T23:59:59.999Z', '2019-03-01T00:00:00.000Z'],
    [{ gt: '2020-02-28' }, '2020-02-28T23:59:59.999Z', '2020-02-29T00:00:00.000Z'],
    [{ gt: '2020-02-29' }, '2020-02-29T23:59:59.999Z', '2020-03-01T00:00:00.000Z'],
    [{ gt: '2019-02' }, '2019-02-28T23:59:59.999Z', '2019-03-01T00:00:00.000Z'],
    [{ gt: '2020-02' }, '2020-02-29T23:59:59.999Z', '2020-03-01T00:00:00.000Z'],
    [{ gt: '2019-04-30' }, '2019-04-30T23:59:59.999Z', '2019-05-01T00:00:00.000Z'],
    [{ gt: '2019-12-31' }, '2019-12-31T23:59:59.999Z', '2020-01-01T00:00:00.000Z'],
    [{ gt: '2019-12' }, '2019-12-31T23:59:59.999Z', '2020-01-01T00:00:00.000Z'],
  ])('%j excludes %s and admits %s', (filter, last, first) => {
    expect(admitted(filter, { last, first })).toEqual(['first']);
  });

  it('le of February in a leap year reaches 29 February', () => {
    expect(admitted({ le: '2020-02' }, { leap: '2020-02-29T23:59:59.999Z', march: '2020-03-01T00:00:00.000Z' })).toEqual(['leap']);
  });
});

// A seeded generator keeps the run reproducible; TEST_SEED replays another one (the suite's name shows the seed).
const generatorSeed = Number(process.env.TEST_SEED ?? 42);
describe(`agrees with a direct computation for generated filters and instants (seed ${generatorSeed})`, () => {
  let state = generatorSeed;
  const rand = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const pick = <T>(items: readonly T[]) => items[Math.floor(rand() * items.length)];
  const FROM = t('2019-01-01T00:00:00Z');
  const SPAN = 2 * 365 * 86_400_000;
  const randomInstant = () => FROM + Math.floor(rand() * SPAN);
  const zones: [string, number][] = [
    ['Z', 0],
    ['', 0],
    ['+02:00', 120],
    ['-05:30', -330],
    ['+14:00', 840],
    ['-14:00', -840],
  ];
  /** A value of random precision around a random instant, written in a random zone. */
  const randomValue = () => {
    const full = iso(randomInstant());
    const precision = pick(['year', 'month', 'day', 'time'] as const);
    if (precision === 'year') return full.slice(0, 4);
    if (precision === 'month') return full.slice(0, 7);
    if (precision === 'day') return full.slice(0, 10);
    const [zone, minutes] = pick(zones);
    const local = iso(Date.parse(full) + minutes * 60_000);
    return local.slice(0, pick([16, 19, 21, 22, 23])) + zone;
  };
  const direct = (operator: LastUpdatedOperator, at: number, start: number, end: number) => {
    switch (operator) {
      case 'eq':
        return at >= start && at < end;
      case 'ne':
        return at < start || at >= end;
      case 'gt':
        return at >= end;
      case 'ge':
        return at >= start;
      case 'lt':
        return at < start;
      case 'le':
        return at < end;
    }
  };
  const filters = Array.from({ length: 2000 }, () => {
    const filter: LastUpdatedFilterInput = {};
    const count = 1 + Math.floor(rand() * 3);
    for (let j = 0; j < count; j += 1) filter[pick(LAST_UPDATED_OPERATORS)] = randomValue();
    return filter;
  });

  it('matchesLastUpdated agrees with parsePartialDateTime + the operator table, at random instants and every edge', () => {
    for (const filter of filters) {
      const ranges = Object.entries(filter).map(([operator, value]) => ({
        operator: operator as LastUpdatedOperator,
        ...parsePartialDateTime(value!),
      }));
      const edges = ranges.flatMap(({ start, end }) => [start - 1, start, start + 1, end - 1, end, end + 1]);
      const instants = [...edges, ...Array.from({ length: 30 }, randomInstant)];
      const condition = compileLastUpdated(filter);
      for (const at of instants) {
        const expected = ranges.every(({ operator, start, end }) => direct(operator, at, start, end));
        if (matchesLastUpdated(condition, at) !== expected)
          throw new Error(`${JSON.stringify(filter)} at ${iso(at)}: expected ${expected}`);
      }
    }
  });

  it('the intervals are always sorted, disjoint and non-adjacent', () => {
    for (const filter of filters) {
      const { intervals } = compileLastUpdated(filter);
      for (const { from, to } of intervals) expect(from).toBeLessThan(to);
      for (let k = 1; k < intervals.length; k += 1) expect(intervals[k].from).toBeGreaterThan(intervals[k - 1].to);
    }
  });

  it('lowerBound is the first admitted instant', () => {
    for (const filter of filters) {
      const condition = compileLastUpdated(filter);
      const bound = lowerBound(condition);
      if (bound === null) continue;
      expect([iso(bound), matchesLastUpdated(condition, bound), matchesLastUpdated(condition, bound - 1)]).toEqual([
        iso(bound),
        true,
        false,
      ]);
    }
  });

  it('every generated filter excludes legacy records', () => {
    for (const filter of filters) expect(matchesLastUpdated(compileLastUpdated(filter), null)).toBe(false);
  });
});
