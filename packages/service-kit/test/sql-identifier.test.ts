import { compileLastUpdated } from '@care-graph/since';
import { sqlIdentifier } from '../src/database/sql';
import { WatermarkClock } from '../src/database/watermark';
import { groupedPageLoaders } from '../src/lists/grouped-pages';
import { pageSql } from '../src/lists/keyset-sql';

const UNSAFE = ['Care"Request', 'a b', '1table', 'x;DROP TABLE y', '', 'naïve', 'a-b'];
const query = { condition: compileLastUpdated(undefined), transactionTime: new Date(), take: 10, after: null };
const client = { $queryRawUnsafe: async () => [] as never };

describe('the SQL identifier guard', () => {
  it.each(['CareRequest', 'partner_id', '_x', 'T2'])('quotes the plain identifier %s', (name) => {
    expect(sqlIdentifier(name)).toBe(`"${name}"`);
  });

  it.each(UNSAFE)('refuses %j', (name) => {
    expect(() => sqlIdentifier(name)).toThrow('unsafe SQL identifier');
  });

  it('guards every statement that names a table or column from code', async () => {
    expect(() => pageSql('a"b', query)).toThrow('unsafe SQL identifier');
    expect(() => groupedPageLoaders(client, { table: 'Ok', parentColumn: 'x y' })).toThrow('unsafe SQL identifier');
    expect(() => groupedPageLoaders(client, { table: 'a;b', parentColumn: 'ok' })).toThrow('unsafe SQL identifier');
    const clock = new WatermarkClock(client, ['bad name'], { singleConnection: true });
    await expect(clock.refresh()).rejects.toThrow('unsafe SQL identifier');
  });
});
