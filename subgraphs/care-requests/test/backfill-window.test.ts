/**
 * The backfill runner's view of care-requests: a window's care requests in `(createdAt, id)` order, paged by
 * a cursor it can checkpoint, counted up front, at a constant number of statements per page.
 */
import { DATABASE_KINDS, type Graph, startGraph } from '../../../scripts/in-process-graph';

const T0 = Date.UTC(2026, 4, 1);
const at = (ms: number) => new Date(T0 + ms).toISOString();
/** 240 care requests on 48 instants (5 share each, so pages split runs of equal createdAt), plus two outside. */
const INSIDE = Array.from({ length: 240 }, (_, i) => ({ id: `bw-${String(i).padStart(3, '0')}`, offset: Math.floor(i / 5) * 1000 }));
const OUTSIDE = [
  { id: 'bw-before', offset: -1 },
  { id: 'bw-at-until', offset: 48_000 },
];
const WINDOW = { from: at(0), until: at(48_000) };

const PAGE = `query($window: DateTimeRange!, $after: String, $first: Int) {
  careRequestsCreated(window: $window, after: $after, first: $first) {
    careRequests { id createdAt patient { id familyName } } endCursor hasNextPage } }`;

interface Page {
  careRequests: { id: string; createdAt: string; patient: { id: string; familyName: string } }[];
  endCursor: string | null;
  hasNextPage: boolean;
}

describe.each(DATABASE_KINDS)('careRequestsCreated on %s', (kind) => {
  let graph: Graph;
  beforeAll(async () => {
    graph = await startGraph(kind);
    const records = [...INSIDE, ...OUTSIDE].map(({ id, offset }) => ({
      id,
      createdAt: at(offset),
      status: 'COMPLETED',
      patient: { id: `pt-${id}`, givenName: 'Ann', familyName: `Lee-${id}`, dateOfBirth: '1950-06-05', sex: 'F' },
    }));
    const { body } = await graph.post(
      await graph.as('admin'),
      'mutation($r: [CareRequestImportInput!]!) { importCareRequests(records: $r) { created rejected { index } } }',
      { r: records },
    );
    expect(body.data).toEqual({ importCareRequests: { created: records.length, rejected: [] } });
  });
  afterAll(() => graph?.close());

  const page = async (variables: { window?: unknown; after?: string | null; first?: number }) => {
    const { body } = await graph.post(await graph.as('service'), PAGE, { window: WINDOW, ...variables });
    return body as { data?: { careRequestsCreated: Page }; errors?: { message: string; extensions?: { code?: string } }[] };
  };

  async function walk(first: number, after: string | null = null): Promise<string[]> {
    const ids: string[] = [];
    for (;;) {
      const { data, errors } = await page({ after, first });
      expect(errors).toBeUndefined();
      const result = data!.careRequestsCreated;
      for (const careRequest of result.careRequests) {
        expect(careRequest.patient).toEqual({ id: `pt-${careRequest.id}`, familyName: `Lee-${careRequest.id}` });
        ids.push(careRequest.id);
      }
      if (!result.hasNextPage) return ids;
      after = result.endCursor;
    }
  }

  it('walks the window in (createdAt, id) order, from inclusive and until exclusive, each once', async () => {
    const expected = INSIDE.map((c) => c.id); // ids sort within each instant as they were numbered
    for (const first of [7, 5, 240, 1000]) expect(await walk(first)).toEqual(expected);
  });

  it('counts the window up front', async () => {
    const { body } = await graph.post(await graph.as('service'), 'query($w: DateTimeRange!) { careRequestsCreatedCount(window: $w) }', {
      w: WINDOW,
    });
    expect(body.data).toEqual({ careRequestsCreatedCount: INSIDE.length });
  });

  it('resumes after a checkpointed cursor with exactly the rest, inside a run of equal createdAt', async () => {
    const first = await page({ first: 12 }); // ends on the 3rd of 5 care requests sharing an instant
    const done = first.data!.careRequestsCreated.careRequests.map((c) => c.id);
    const rest = await walk(9, first.data!.careRequestsCreated.endCursor);
    expect([...done, ...rest]).toEqual(INSIDE.map((c) => c.id));
  });

  it('costs the same statements for a page of 5 as for a page of 200 (patients batched)', async () => {
    const database = graph.subgraphs['care-requests'].database;
    const cost = async (first: number) => {
      const before = database.queryCount();
      const { errors } = await page({ first });
      expect(errors).toBeUndefined();
      return database.queryCount() - before;
    };
    const small = await cost(5);
    expect(await cost(200)).toBe(small);
    expect(small).toBeLessThanOrEqual(2); // the page, its patients
  });

  it.each([
    ['a window without until', { window: { from: WINDOW.from } }, /window needs both from/],
    ['a window in the wrong order', { window: { from: WINDOW.until, until: WINDOW.from } }, /window.from must be before/],
    ['a page size of 0', { first: 0 }, /"first" must be between 1 and 5000/],
    ['a page size over 5000', { first: 5001 }, /"first" must be between 1 and 5000/],
    ['a cursor that is not one', { after: 'nope' }, /not a cursor this list returned/],
  ])('refuses %s with BAD_USER_INPUT', async (_label, variables, message) => {
    const { errors } = await page(variables);
    expect(errors?.[0]).toMatchObject({ message: expect.stringMatching(message), extensions: { code: 'BAD_USER_INPUT' } });
  });

  it("refuses another window's cursor (a partition's checkpoint applies to its own window only)", async () => {
    const other = await page({ window: { from: at(0), until: at(10_000) }, first: 3 });
    const { errors } = await page({ after: other.data!.careRequestsCreated.endCursor });
    expect(errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('is for services only', async () => {
    const { body } = await graph.post(await graph.as('partner', 'some-partner'), PAGE, { window: WINDOW });
    expect(body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});
