/**
 * Ingestions left unfinished (a service stopped in the middle of a file): removed with their roster
 * patients by the sweeper, their data loads marked FAILED; an ingestion swept while it ran keeps nothing.
 */

import { Readable } from 'node:stream';
import { DataLoadsDocument } from '@care-graph/operations';
import { createLogger, InternalAuth, serviceClient } from '@care-graph/service-kit';
import { eventually } from '../../../scripts/eventually';
import { DATABASE_KINDS, type Graph } from '../../../scripts/in-process-graph';
import { rosterIndexFor } from '../src';
import { StartDataLoadDocument } from '../src/generated/calls/care-requests';
import { abandonAfterMinutes, removeUnfinishedIngestions, sweepAbandonedIngestions } from '../src/roster-ingestion/abandoned-ingestions';
import { ingestRoster } from '../src/roster-ingestion/roster-ingest';
import { HEADER, startGraphWithPartner } from './roster-fixtures';

describe.each(DATABASE_KINDS)('ingestions left unfinished on %s', (kind) => {
  let graph: Graph;
  let partnerId: string;
  beforeAll(async () => ({ graph, partnerId } = await startGraphWithPartner(kind, 'Sweeper Partner')));
  afterAll(() => graph?.close());

  const db = () => graph.subgraphs['pop-health'].database.client;
  const HOUR = 3_600_000;
  /** An INGESTING roster as a service that stopped mid-file leaves it, started `ageMs` ago, with roster patients. */
  const unfinished = async (ageMs: number, rosterPatients: number) => {
    const roster = await db().roster.create({
      data: {
        partnerId,
        kind: 'BACKFILL',
        fileName: 'cut.csv',
        contentHash: `pending:${ageMs}:${Math.random()}`,
        status: 'INGESTING',
        createdAt: new Date(Date.now() - ageMs),
      },
    });
    await db().rosterPatient.createMany({
      data: Array.from({ length: rosterPatients }, (_, i) => ({
        rosterId: roster.id,
        memberId: `C${i}`,
        givenName: 'Ann',
        familyName: 'Lee',
        dateOfBirth: new Date('1950-06-05'),
        sex: 'F' as const,
      })),
    });
    return roster.id;
  };
  const left = async (rosterId: string) => [
    await db().roster.count({ where: { id: rosterId } }),
    await db().rosterPatient.count({ where: { rosterId } }),
  ];

  it('removes an abandoned ingestion with its roster patients, and leaves running and finished rosters alone', async () => {
    const abandoned = await unfinished(2 * HOUR, 3);
    const running = await unfinished(60_000, 2);
    const ready = await db().roster.count({ where: { status: 'READY' } });
    expect(await removeUnfinishedIngestions(db(), new Date(Date.now() - HOUR))).toEqual([{ id: abandoned, dataLoadId: null }]);
    expect(await left(abandoned)).toEqual([0, 0]);
    expect(await left(running)).toEqual([1, 2]);
    expect(await db().roster.count({ where: { status: 'READY' } })).toBe(ready);
    await removeUnfinishedIngestions(db(), new Date(Date.now() + HOUR)); // tidy up the running one
    expect(await left(running)).toEqual([0, 0]);
  });

  it('sweeps at once when the service starts it, marks the data load FAILED, and stops cleanly', async () => {
    const internalAuth = await InternalAuth.fromEnv(graph.env, graph.dataDir);
    const callService = serviceClient({
      name: 'pop-health',
      internalAuth,
      serviceUrl: (service) => graph.subgraphs[service as 'care-requests'].url,
    }).call;
    const { startDataLoad } = await callService('care-requests', StartDataLoadDocument, {
      input: { kind: 'ROSTER_INGESTION', source: 'cut.csv' },
    });
    const abandoned = await unfinished(2 * HOUR, 2);
    await db().roster.update({ where: { id: abandoned }, data: { dataLoadId: startDataLoad.id } });
    const stop = sweepAbandonedIngestions({
      client: db(),
      logger: createLogger('pop-health-test', { LOG_LEVEL: 'error' }),
      env: {},
      callService,
    });
    const load = async () =>
      (await graph.run('admin', DataLoadsDocument, { first: 1000 })).dataLoads.edges.find((e) => e.node.id === startDataLoad.id)?.node;
    await eventually(
      'the abandoned ingestion is gone and its load FAILED',
      async () => (await left(abandoned))[0] === 0 && (await load())?.status === 'FAILED',
    );
    await stop();
    expect(await left(abandoned)).toEqual([0, 0]);
    expect(await load()).toMatchObject({ source: 'cut.csv', status: 'FAILED', recordCount: 0 });
  });

  it('refuses an ingestion swept while it ran, and keeps nothing of it', async () => {
    const source = new Readable({ read() {} });
    const store = {
      prisma: db(),
      database: graph.subgraphs['pop-health'].database,
      clock: graph.subgraphs['pop-health'].clock,
      index: rosterIndexFor(db()),
    };
    const result = ingestRoster(store, { partnerId, kind: 'BACKFILL', fileName: 'slow.csv' }, source).then(
      () => 'finished',
      (error: Error & { extensions?: { code?: string } }) => `${error.extensions?.code}: ${error.message}`,
    );
    const rows = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => `S${from + i},Ann,,Lee,1950-06-05,F,,,,,`).join('\n');
    source.push(`${HEADER}\n${rows(0, 3000)}\n`);
    const slow = async () => (await db().roster.findFirst({ where: { fileName: 'slow.csv', status: 'INGESTING' } }))?.id;
    let id: string | undefined;
    try {
      await eventually('the first rows are written', async () => {
        id = await slow();
        return Boolean(id) && (await db().rosterPatient.count({ where: { rosterId: id } })) > 0;
      });
      expect((await removeUnfinishedIngestions(db(), new Date(Date.now() + HOUR))).map((r) => r.id)).toContain(id);
      source.push(`${rows(3000, 3000)}\n`);
    } finally {
      source.push(null); // the ingestion always ends, whatever failed above
    }
    expect(await result).toMatch(/^CONFLICT: The ingestion of slow\.csv ran longer than ROSTER_INGEST_ABANDON_MINUTES and was abandoned/);
    expect(await left(id!)).toEqual([0, 0]);
  });

  it('explains a bad ROSTER_INGEST_ABANDON_MINUTES', () => {
    expect(abandonAfterMinutes({})).toBe(60);
    expect(abandonAfterMinutes({ ROSTER_INGEST_ABANDON_MINUTES: '5' })).toBe(5);
    expect(() => abandonAfterMinutes({ ROSTER_INGEST_ABANDON_MINUTES: 'soon' })).toThrow(
      'ROSTER_INGEST_ABANDON_MINUTES must be a number of minutes, at least 1; got "soon".',
    );
  });
});
