/**
 * The Elasticsearch roster index against @elastic/elasticsearch-mock (no Elasticsearch server can run on
 * the project's machines): what it sends is asserted, and answers are fed back. A real server is used by
 * the integration test below when ELASTICSEARCH_URL is set.
 */

import {
  blockingKeys,
  countTermFrequencies,
  decide,
  keyKind,
  normalize,
  type PersonInput,
  RosterModel,
  type TermFrequencies,
} from '@care-graph/matching';
import { Client, errors } from '@elastic/elasticsearch';
import Mock from '@elastic/elasticsearch-mock';
import { ElasticsearchRosterIndex, INDEX_NAMES } from '../src/roster-index/elasticsearch-index';
import type { RosterPatientDocument } from '../src/roster-index/roster-index';

const ann: PersonInput = {
  id: 'rp-ann',
  givenName: 'Ann',
  familyName: 'Lee',
  dateOfBirth: '1950-06-05',
  sex: 'F',
  ssn: '123456780',
  memberId: 'M1',
};
const bill: PersonInput = { id: 'rp-bill', givenName: 'William', familyName: 'Garcia', dateOfBirth: '1948-11-30', sex: 'M' };
const doc = (person: PersonInput, rosterId = 'r-1'): RosterPatientDocument => ({
  ...person,
  rosterId,
  blockingKeys: blockingKeys(normalize(person)),
});

/** Roster r-1's term frequencies as its ingestion would have kept them: "lee" is common on it. */
const frequencies: TermFrequencies = (() => {
  const counted = countTermFrequencies([ann, bill].map(normalize));
  counted.size = 5000;
  counted.counts.familyName.lee = 400;
  return counted;
})();

describe('ElasticsearchRosterIndex (mocked server)', () => {
  let mock: Mock;
  let index: ElasticsearchRosterIndex;
  const requests: { path: string; body: unknown }[] = [];
  const frequencyReads: string[] = [];

  beforeEach(() => {
    mock = new Mock();
    requests.length = 0;
    const client = new Client({ node: 'http://localhost:9200', Connection: mock.getConnection() });
    frequencyReads.length = 0;
    index = new ElasticsearchRosterIndex(
      client,
      async (rosterId) => {
        frequencyReads.push(rosterId);
        return frequencies;
      },
      50,
    );
    const record = (params: { path: string; body: unknown }) => requests.push({ path: params.path, body: params.body });
    mock.add({ method: 'HEAD', path: '/:index' }, (params) => {
      record(params as never);
      return new errors.ResponseError({ body: {}, statusCode: 404, headers: {}, warnings: null, meta: {} } as never);
    });
    mock.add({ method: 'PUT', path: '/:index' }, (params) => {
      record(params as never);
      return { acknowledged: true };
    });
    mock.add({ method: 'POST', path: '/_bulk' }, (params) => {
      record(params as never);
      return { errors: false, items: [], took: 1 };
    });
  });

  it('writes backfill rosters to their own index, in one bulk request per batch, with mappings first', async () => {
    await index.addRosterPatients({ id: 'r-1', kind: 'BACKFILL' }, [doc(ann), doc(bill)]);
    expect(requests.map((r) => r.path)).toEqual([`/${INDEX_NAMES.BACKFILL}`, `/${INDEX_NAMES.BACKFILL}`, '/_bulk']);
    const created = requests[1].body as { mappings: { properties: Record<string, { type: string }> } };
    expect(created.mappings.properties.blockingKeys.type).toBe('keyword');
    const bulk = requests[2].body as unknown[];
    expect(bulk).toEqual([
      { index: { _index: INDEX_NAMES.BACKFILL, _id: 'rp-ann' } },
      expect.objectContaining({ id: 'rp-ann', rosterId: 'r-1', blockingKeys: expect.arrayContaining(['ssn:123456780', 'mid:M1']) }),
      { index: { _index: INDEX_NAMES.BACKFILL, _id: 'rp-bill' } },
      expect.objectContaining({ id: 'rp-bill', rosterId: 'r-1' }),
    ]);
  });

  it('reports a refused bulk write instead of losing roster patients silently', async () => {
    mock.clear({ method: 'POST', path: '/_bulk' });
    mock.add({ method: 'POST', path: '/_bulk' }, () => ({
      errors: true,
      took: 1,
      items: [{ index: { status: 400, error: { type: 'mapper_parsing_exception', reason: 'bad field' } } }],
    }));
    await expect(index.addRosterPatients({ id: 'r-1', kind: 'CURRENT' }, [doc(ann)])).rejects.toThrow('bad field');
  });

  /** Answers every msearch with ann and bill for the first person, nothing for the second. */
  const answerSearches = (onSearch: (searches: unknown[]) => void = () => undefined) =>
    mock.add({ method: 'POST', path: '/_msearch' }, (params) => {
      onSearch(params.body as unknown[]);
      return {
        took: 1,
        responses: [
          {
            took: 1,
            timed_out: false,
            hits: {
              total: { value: 2, relation: 'eq' },
              hits: [
                { _index: INDEX_NAMES.CURRENT, _id: 'rp-ann', _source: doc(ann) },
                { _index: INDEX_NAMES.CURRENT, _id: 'rp-bill', _source: doc(bill) },
              ],
            },
          },
          { took: 1, timed_out: false, hits: { total: { value: 0, relation: 'eq' }, hits: [] } },
        ],
      };
    });

  it('looks a whole batch up with one msearch, one search per person, within the roster', async () => {
    let searches: unknown[] = [];
    answerSearches((sent) => {
      searches = sent;
    });
    const queries = [
      normalize({ ...ann, id: 'pt-1', givenName: 'ANNIE', ssn: null }),
      normalize({ id: 'pt-2', givenName: 'Zed', familyName: 'Quill', dateOfBirth: '2001-01-01' }),
    ];
    const candidates = await index.candidates({ id: 'r-1', kind: 'CURRENT' }, queries);
    expect(searches).toHaveLength(4);
    expect(searches[0]).toEqual({ index: INDEX_NAMES.CURRENT });
    expect(searches[1]).toEqual({
      size: 50,
      query: { bool: { filter: [{ term: { rosterId: 'r-1' } }, { terms: { blockingKeys: blockingKeys(queries[0]) } }] } },
    });
    expect(candidates[1]).toEqual([]);
    const decision = decide(queries[0], candidates[0], RosterModel.of([ann, bill].map(normalize)));
    expect(decision).toMatchObject({ candidateId: 'rp-ann', accepted: true });
    // A candidate was found by the kinds of the keys it shares with the query (not the SSN: the query has none).
    const shared = blockingKeys(normalize(ann)).filter((key) => blockingKeys(queries[0]).includes(key));
    expect(shared.length).toBeGreaterThan(1);
    const { kinds } = candidates[0].find((c) => c.person.id === 'rp-ann')!;
    expect(kinds).toEqual(shared.map(keyKind));
    expect(kinds).not.toContain('ssn');
  });

  it("weighs agreement by the roster's kept term frequencies, read once per roster", async () => {
    answerSearches();
    const query = { ...ann, id: 'pt-1', ssn: null };
    const [first] = await index.match({ id: 'r-1', kind: 'CURRENT' }, [query, { ...bill, id: 'pt-2', givenName: 'Zed' }]);
    await index.match({ id: 'r-1', kind: 'CURRENT' }, [query, query]);
    expect(frequencyReads).toEqual(['r-1']);
    const model = new RosterModel(frequencies);
    const family = first.explanation!.fields.find((f) => f.field === 'familyName')!;
    expect(family.frequencyAdjustment).toBe(model.adjustment('familyName', 'lee'));
    expect(family.frequencyAdjustment).toBeLessThan(0); // 400 of 5,000 members are Lees
    expect(first.explanation!.prior).toBe(model.prior);
  });
});

// Runs only against a real server: ELASTICSEARCH_URL=http://localhost:9200 npm test
if (process.env.ELASTICSEARCH_URL) {
  describe('ElasticsearchRosterIndex (real server at ELASTICSEARCH_URL)', () => {
    it('indexes a roster and finds its roster patients by blocking key', async () => {
      const index = ElasticsearchRosterIndex.fromUrl(process.env.ELASTICSEARCH_URL!, async () => frequencies);
      const rosterId = `it-${Date.now()}`;
      await index.addRosterPatients({ id: rosterId, kind: 'BACKFILL' }, [doc(ann, rosterId), doc(bill, rosterId)]);
      const [found] = await index.candidates({ id: rosterId, kind: 'BACKFILL' }, [normalize({ ...bill, id: 'pt', givenName: 'Bill' })]);
      const model = new RosterModel(frequencies);
      expect(decide(normalize({ ...bill, id: 'pt', givenName: 'Bill' }), found, model)).toMatchObject({
        candidateId: 'rp-bill',
        accepted: true,
      });
    });
  });
}
