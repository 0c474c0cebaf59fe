/**
 * What partners owns, through the graph: registering partners (names unique as people read them) and
 * each partner's association pages.
 */
import { CreatePartnerDocument } from '@care-graph/operations';
import { DATABASE_KINDS, type Graph, startGraph } from '../../../scripts/in-process-graph';

const ASSOCIATIONS = `query($id: ID!, $first: Int, $after: String) {
  partner(id: $id) { associations(first: $first, after: $after) { edges { node { id meta { lastUpdated } } } pageInfo { hasNextPage endCursor } } }
}`;

type Page = {
  edges: { node: { id: string; meta: { lastUpdated: string | null } } }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
};

describe.each(DATABASE_KINDS)('partners on %s', (kind) => {
  let graph: Graph;
  beforeAll(async () => {
    graph = await startGraph(kind);
  });
  afterAll(() => graph?.close());

  const codesOf = async (role: 'admin' | 'partner', name: string, partnerId?: string) => {
    const { body } = await graph.post(
      await graph.as(role, partnerId),
      'mutation($n: String!) { createPartner(input: { name: $n }) { id name } }',
      { n: name },
    );
    return {
      data: body.data,
      codes: (body.errors ?? []).map((e) => e.extensions?.code),
      fields: (body.errors ?? []).map((e) => e.extensions?.field),
    };
  };

  describe('createPartner', () => {
    it('registers a partner under its name with single spaces', async () => {
      const { createPartner } = await graph.run('admin', CreatePartnerDocument, { input: { name: '  Mile High   Care ' } });
      expect(createPartner).toMatchObject({ name: 'Mile High Care', meta: { lastUpdated: expect.any(String) } });
    });

    it('refuses a name taken already, also written with other spaces, as CONFLICT on the name', async () => {
      await graph.run('admin', CreatePartnerDocument, { input: { name: 'Rocky Mountain Health' } });
      for (const again of ['Rocky Mountain Health', ' Rocky  Mountain Health ']) {
        expect(await codesOf('admin', again)).toEqual({ data: null, codes: ['CONFLICT'], fields: ['input.name'] });
      }
    });

    it.each([
      ['an empty', ''],
      ['a blank', '   '],
      ['a 201-character', 'x'.repeat(201)],
    ])('refuses %s name as BAD_USER_INPUT', async (_label, name) => {
      expect(await codesOf('admin', name)).toEqual({ data: null, codes: ['BAD_USER_INPUT'], fields: ['input.name'] });
    });

    it('is for admins only', async () => {
      expect((await codesOf('partner', 'Sneaky Partner', 'p1')).codes).toEqual(['FORBIDDEN']);
    });
  });

  describe('associations', () => {
    let first: string;
    let second: string;
    let expected: string[];

    beforeAll(async () => {
      ({
        createPartner: { id: first },
      } = await graph.run('admin', CreatePartnerDocument, { input: { name: 'Association Pages One' } }));
      ({
        createPartner: { id: second },
      } = await graph.run('admin', CreatePartnerDocument, { input: { name: 'Association Pages Two' } }));
      const base = Date.UTC(2026, 3, 1);
      // 23 associations of the first partner in three runs of equal lastUpdated and a few legacy ones (null,
      // listed last), and some of the second partner's in between, which the first's pages must never show.
      const rows = Array.from({ length: 30 }, (_, i) => ({
        id: `assoc-${String(i).padStart(2, '0')}`,
        partnerId: i % 4 === 3 ? second : first,
        careRequestId: `cr-${i}`,
        source: 'BACKFILL' as const,
        lastUpdated: i % 5 === 4 ? null : new Date(base + (i % 3)),
      }));
      await graph.subgraphs.partners.database.client.partnerAssociation.createMany({ data: rows });
      const order = (r: (typeof rows)[number]) => [r.lastUpdated?.getTime() ?? Infinity, r.id] as const;
      expected = rows
        .filter((r) => r.partnerId === first)
        .sort((a, b) => order(a)[0] - order(b)[0] || (a.id < b.id ? -1 : 1))
        .map((r) => r.id);
    });

    async function walk(role: 'admin' | 'partner', id: string, first: number, partnerId?: string): Promise<string[]> {
      const options = await graph.as(role, partnerId);
      const ids: string[] = [];
      let after: string | null = null;
      for (;;) {
        const { body } = await graph.post(options, ASSOCIATIONS, { id, first, after });
        expect(body.errors).toBeUndefined();
        const page = (body.data as { partner: { associations: Page } }).partner.associations;
        ids.push(...page.edges.map((e) => e.node.id));
        if (!page.pageInfo.hasNextPage) return ids;
        after = page.pageInfo.endCursor;
      }
    }

    it.each([1, 4, 7, 100])('come in (lastUpdated, id) order, legacy last, in pages of %i without skips or repeats', async (size) => {
      expect(await walk('admin', first, size)).toEqual(expected);
    });

    it('are the partner’s own: its token reads them, another partner’s token finds no such partner', async () => {
      expect(await walk('partner', first, 10, first)).toEqual(expected);
      // Another partner answers as a missing one: no associations, no error that would tell the id exists.
      const { body } = await graph.post(await graph.as('partner', second), ASSOCIATIONS, { id: first, first: 10 });
      expect(body).toEqual({ data: { partner: null } });
    });

    it('refuse a cursor they did not hand out', async () => {
      const { body } = await graph.post(await graph.as('admin'), ASSOCIATIONS, { id: first, first: 2, after: 'bogus' });
      expect(body.errors?.map((e) => [e.extensions?.code, e.extensions?.argument])).toEqual([['BAD_USER_INPUT', 'after']]);
    });
  });
});
