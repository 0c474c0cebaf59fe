import { decodeCursor, encodeCursor, keysetPage, listKey, pageSize } from '../src/lists/cursor';

const LIST = listKey('KeysetRow', null, []);

import { withSeed } from './seeded-random';

describe('cursors', () => {
  it('decode what they encode: (lastUpdated, id), null lastUpdated included', () =>
    withSeed((random) => {
      for (let i = 0; i < 200; i += 1) {
        const lastUpdated = random.chance(0.2) ? null : new Date(random.int(0, 4_102_444_800_000));
        const id = random.chance(0.1)
          ? ''
          : Array.from({ length: random.int(1, 40) }, () => String.fromCharCode(random.int(32, 0x2fff))).join('');
        expect(decodeCursor(encodeCursor({ lastUpdated, id }, LIST), LIST)).toEqual({ lastUpdated, id });
      }
    }));

  it.each([
    ['not base64 JSON', 'not a cursor'],
    ['a JSON object', Buffer.from('{"id":"a"}').toString('base64url')],
    ['a numeric id', Buffer.from(`["${LIST}", null, 5]`).toString('base64url')],
    ['a numeric lastUpdated', Buffer.from(`["${LIST}", 5, "a"]`).toString('base64url')],
    ['an impossible date', Buffer.from(`["${LIST}", "2026-13-45T00:00:00Z", "a"]`).toString('base64url')],
    ['a cursor without its list (the form before lists were named)', Buffer.from('[null, "a"]').toString('base64url')],
    ['another list’s cursor', encodeCursor({ lastUpdated: null, id: 'a' }, listKey('Partner', null, []))],
    [
      'the same table’s cursor under another filter',
      encodeCursor({ lastUpdated: null, id: 'a' }, listKey('KeysetRow', null, [['gt', '2026']])),
    ],
    ['an empty string', ''],
  ])('reject %s with BAD_USER_INPUT naming the after argument', (_label, cursor) => {
    expect(() => decodeCursor(cursor, LIST)).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', argument: 'after' }) }),
    );
  });
});

describe('page size', () => {
  it('defaults to 100 and accepts 0 to 1000', () => {
    expect(pageSize(undefined)).toBe(100);
    expect(pageSize(null)).toBe(100);
    expect(pageSize(0)).toBe(0);
    expect(pageSize(1000)).toBe(1000);
  });

  it.each([-1, 1001, 1.5])('refuses %p with BAD_USER_INPUT', (first) => {
    expect(() => pageSize(first)).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', argument: 'first' }) }),
    );
  });
});

describe('keysetPage', () => {
  const rows = [1, 2, 3].map((n) => ({ id: `r${n}`, lastUpdated: new Date(n * 1000) }));
  const tt = new Date(10_000);

  it('reads one row more than asked to tell whether another page follows', async () => {
    const asked: number[] = [];
    const page = await keysetPage(
      { first: 2 },
      tt,
      async (take) => {
        asked.push(take);
        return rows.slice(0, take);
      },
      LIST,
    );
    expect(asked).toEqual([3]);
    expect(page.edges.map((e) => e.node.id)).toEqual(['r1', 'r2']);
    expect(page.pageInfo).toEqual({ hasNextPage: true, endCursor: encodeCursor(rows[1], LIST) });
    expect(page.edges[0].cursor).toBe(encodeCursor(rows[0], LIST));
    expect(page.transactionTime).toBe(tt);
  });

  it('ends the list on a short page, and asks nothing for first: 0', async () => {
    expect((await keysetPage({ first: 5 }, tt, async () => rows, LIST)).pageInfo.hasNextPage).toBe(false);
    const fetch = jest.fn(async () => rows);
    expect(await keysetPage({ first: 0 }, tt, fetch, LIST)).toMatchObject({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
    expect(fetch).not.toHaveBeenCalled();
  });
});
