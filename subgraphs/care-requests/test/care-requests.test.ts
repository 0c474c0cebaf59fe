/**
 * What care-requests owns, through the graph: the `careRequests(createdAt:)` window and its pages.
 */
import {
  type CareRequestImportInput,
  CareRequestsDocument,
  type CareRequestsQuery,
  ImportCareRequestsDocument,
} from '@care-graph/operations';
import { DATABASE_KINDS, type Graph, startGraph } from '../../../scripts/in-process-graph';

const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
const at = (ms: number) => new Date(T0 + ms).toISOString();
const record = (i: number, createdAt: string): CareRequestImportInput => ({
  id: `window-${i}`,
  createdAt,
  status: 'REQUESTED',
  lastUpdated: at(60_000 + (i % 3)), // ties: pages must still neither skip nor repeat
  patient: { id: `window-pt-${i}`, givenName: 'Ann', familyName: `Lee${i}`, dateOfBirth: '1950-06-05', sex: 'F' },
});

// createdAt offsets (ms from T0): on, just before and just after the window's edges.
const OFFSETS = [-1, 0, 1, 500, 999, 1000, 1001, 5000];

describe.each(DATABASE_KINDS)('careRequests on %s', (kind) => {
  let graph: Graph;
  beforeAll(async () => {
    graph = await startGraph(kind);
    const { importCareRequests } = await graph.run('admin', ImportCareRequestsDocument, {
      records: OFFSETS.map((offset, i) => record(i, at(offset))),
    });
    expect(importCareRequests.rejected).toEqual([]);
  });
  afterAll(() => graph?.close());

  /** All ids of a window, walking pages of `first`. */
  async function idsIn(createdAt: { from?: string; until?: string }, first = 100): Promise<string[]> {
    const ids: string[] = [];
    let after: string | null = null;
    for (;;) {
      const { careRequests }: CareRequestsQuery = await graph.run('service', CareRequestsDocument, { createdAt, first, after });
      ids.push(...careRequests.edges.map((e) => e.node.id));
      if (!careRequests.pageInfo.hasNextPage) return ids;
      after = careRequests.pageInfo.endCursor;
    }
  }
  const offsetsOf = (ids: string[]) => ids.map((id) => OFFSETS[Number(id.split('-')[1])]).sort((a, b) => a - b);

  it('includes from and excludes until', async () => {
    expect(offsetsOf(await idsIn({ from: at(0), until: at(1000) }))).toEqual([0, 1, 500, 999]);
  });

  it('takes either edge alone', async () => {
    expect(offsetsOf(await idsIn({ from: at(1000) }))).toEqual([1000, 1001, 5000]);
    expect(offsetsOf(await idsIn({ until: at(1) }))).toEqual([-1, 0]);
  });

  it('pages through a window without skipping or repeating records that share lastUpdated', async () => {
    const whole = await idsIn({ from: at(-1), until: at(5001) });
    expect(offsetsOf(whole)).toEqual(OFFSETS);
    expect(await idsIn({ from: at(-1), until: at(5001) }, 2)).toEqual(whole);
  });

  it('refuses a window that ends before it starts', async () => {
    for (const until of [at(0), at(-1)]) {
      const { body } = await graph.post(
        await graph.as('admin'),
        'query($w: DateTimeRange) { careRequests(createdAt: $w) { edges { node { id } } } }',
        { w: { from: at(0), until } },
      );
      expect(body.errors).toEqual([
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', argument: 'createdAt' }) }),
      ]);
    }
  });
});
