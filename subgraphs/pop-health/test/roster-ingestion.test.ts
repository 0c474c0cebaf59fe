/**
 * Rosters end to end: ingestion (row-by-row rejections, whole-file failures, no duplicates on re-ingest)
 * and batch matching with explanations, through the gateway.
 */
import { CreatePartnerDocument, DataLoadsDocument, IngestRosterDocument, MatchPatientsDocument, RosterDocument } from '@care-graph/operations';
import { Readable } from 'node:stream';
import { IDENTITY_HEADER, InternalAuth, createLogger, serviceCaller } from '@care-graph/service-kit';
import { popHealthSubgraph, rosterIndexFor } from '../src';
import { abandonAfterMinutes, ingestRoster, removeUnfinishedIngestions, sweepAbandonedIngestions } from '../src/roster-ingestion/roster-ingest';
import { DATABASE_KINDS, startGraph, type Graph } from '../../../scripts/in-process-graph';

/** Polls `check` until it holds, failing after `deadlineMs`. */
async function eventually(what: string, check: () => Promise<boolean>, deadlineMs = 10_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const HEADER = 'member_id,first_name,middle_name,last_name,date_of_birth,sex,ssn,address_line1,city,state,zip';
const ROWS = [
  'M1,Ann,Marie,Lee,1950-06-05,F,123-45-6780,1 Main St,Denver,CO,80201',
  'M2,Clara,,Lee,1950-06-05,F,,1 Main St,Denver,CO,80201', // Ann's twin
  'M3,William,,García-López,1948-11-30,M,,5 Oak Ave,Boulder,CO,80301',
  'M4,Robert,,Ng,1948-13-30,M,,,,,', // bad date
  'M5,Zoe,,Park,1990-01-01,X,,,,,', // unknown sex code
  'M6,,,Nameless,1990-01-01,F,,,,,', // missing first name
  'M7,Sam,,Short,1990-01-01,F,1234,,,,', // SSN not 9 digits
  'M1,Ann,,Lee,1950-06-05,F,,,,,', // duplicate member id
  'M8,Peggy,,Olson,1939-02-20,F,000000000,,,,', // placeholder SSN: kept, as no SSN
];

describe.each(DATABASE_KINDS)('rosters on %s', (kind) => {
  let graph: Graph;
  let partnerId: string;
  beforeAll(async () => {
    graph = await startGraph(kind);
    ({ createPartner: { id: partnerId } } = await graph.run('admin', CreatePartnerDocument, { input: { name: 'Roster Partner' } }));
  });
  afterAll(() => graph?.close());

  const ingest = (content: string, fileName = 'roster.csv', kind: 'CURRENT' | 'BACKFILL' = 'BACKFILL') =>
    graph.run('admin', IngestRosterDocument, { input: { partnerId, kind, fileName, content } });

  it('keeps the good rows and rejects the bad ones with line number and reason', async () => {
    const { ingestRoster: roster } = await ingest([HEADER, ...ROWS].join('\n'));
    expect(roster).toMatchObject({ status: 'READY', kind: 'BACKFILL', rowCount: 9, acceptedCount: 4, rejectedCount: 5, partner: { id: partnerId } });
    expect(roster.rejectedRows).toEqual([
      { line: 5, memberId: 'M4', reason: 'date_of_birth "1948-13-30" is not a calendar date YYYY-MM-DD' },
      { line: 6, memberId: 'M5', reason: 'sex "X" is not one of F, M, O, U' },
      { line: 7, memberId: 'M6', reason: 'first_name is empty' },
      { line: 8, memberId: 'M7', reason: 'ssn must be 9 digits (dashes allowed) or empty' },
      { line: 9, memberId: 'M1', reason: 'duplicate member_id M1 (the first row with it is kept)' },
    ]);
    const { roster: stored } = await graph.run('admin', RosterDocument, { id: roster.id, first: 10 });
    expect(stored!.patients.edges.map((e) => e.node.memberId).sort()).toEqual(['M1', 'M2', 'M3', 'M8']);
    const peggy = stored!.patients.edges.find((e) => e.node.memberId === 'M8')!.node;
    expect(peggy.ssnLast4).toBeNull();
  });

  it('records each ingestion in the data-load feed, failed ones as FAILED', async () => {
    const { ingestRoster: fed } = await ingest([HEADER, ...ROWS.slice(0, 2)].join('\n'), 'feed.csv', 'CURRENT');
    await graph.post(await graph.as('admin'), 'mutation($i: IngestRosterInput!) { ingestRoster(input: $i) { id } }', {
      i: { partnerId, kind: 'CURRENT', fileName: 'broken-feed.csv', content: 'not,a,roster' },
    });
    const { dataLoads } = await graph.run('admin', DataLoadsDocument, { first: 1000 });
    const loads = dataLoads.edges.map((e) => e.node).filter((l) => l.kind === 'ROSTER_INGESTION');
    expect(loads).toContainEqual(expect.objectContaining({ source: 'feed.csv', status: 'COMPLETED', recordCount: 2 }));
    // The roster remembers its load, so that an ingestion abandoned mid-file can be marked FAILED.
    const { dataLoadId } = await graph.subgraphs['pop-health'].database.client.roster.findUniqueOrThrow({ where: { id: fed.id } });
    expect(loads.find((l) => l.id === dataLoadId)?.source).toBe('feed.csv');
    expect(loads).toContainEqual(expect.objectContaining({ source: 'broken-feed.csv', status: 'FAILED', recordCount: 0 }));
  });

  const stored = () => {
    const db = graph.subgraphs['pop-health'].database.client;
    return Promise.all([db.roster.count(), db.rosterPatient.count()]);
  };

  it('returns the same roster when the same file is ingested again', async () => {
    const content = [HEADER, ...ROWS.slice(0, 3)].join('\n');
    const first = (await ingest(content, 'again.csv')).ingestRoster;
    const before = await stored();
    const second = (await ingest(content, 'again-renamed.csv')).ingestRoster;
    expect(second.id).toBe(first.id);
    // The second copy's members were written while it was read, and are gone with it.
    expect(await stored()).toEqual(before);
    // The same file as the other kind is a different roster.
    const current = (await ingest(content, 'again.csv', 'CURRENT')).ingestRoster;
    expect(current.id).not.toBe(first.id);
  });

  it.each([
    ['a wrong header', 'id,first,last\n1,Ann,Lee', 'header "member_id,first_name'],
    ['an empty file', '', 'The roster is empty'],
    ['something that is not CSV', `${HEADER}\n"M1,Ann,unclosed quote`, 'is not a readable CSV file'],
    // Broken after many good rows: batches were already written when the parser failed.
    [
      'a file that breaks after 5,000 good rows',
      [HEADER, ...Array.from({ length: 5000 }, (_, i) => `B${i},Ann,,Lee${i},1950-06-05,F,,,,,`), '"B-last,unclosed quote'].join('\n'),
      'is not a readable CSV file',
    ],
  ])('fails %s as a whole with a clear message and keeps nothing', async (_label, content, message) => {
    const before = await stored();
    const { body } = await graph.post(await graph.as('admin'), 'mutation($i: IngestRosterInput!) { ingestRoster(input: $i) { id } }', {
      i: { partnerId, kind: 'CURRENT', fileName: 'bad.csv', content },
    });
    expect(body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringContaining(message) });
    expect(await stored()).toEqual(before);
  });

  describe('ingestions left unfinished', () => {
    const db = () => graph.subgraphs['pop-health'].database.client;
    const HOUR = 3_600_000;
    /** An INGESTING roster as a service that stopped mid-file leaves it, started `ageMs` ago, with members. */
    const unfinished = async (ageMs: number, members: number) => {
      const roster = await db().roster.create({
        data: { partnerId, kind: 'BACKFILL', fileName: 'cut.csv', contentHash: `pending:${ageMs}:${Math.random()}`, status: 'INGESTING', createdAt: new Date(Date.now() - ageMs) },
      });
      await db().rosterPatient.createMany({
        data: Array.from({ length: members }, (_, i) => ({ rosterId: roster.id, memberId: `C${i}`, givenName: 'Ann', familyName: 'Lee', dateOfBirth: new Date('1950-06-05'), sex: 'F' as const })),
      });
      return roster.id;
    };
    const left = async (rosterId: string) => [await db().roster.count({ where: { id: rosterId } }), await db().rosterPatient.count({ where: { rosterId } })];

    it('removes an abandoned ingestion with its members, and leaves running and finished rosters alone', async () => {
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
      expect(popHealthSubgraph.background).toBe(sweepAbandonedIngestions);
      const internalAuth = await InternalAuth.fromEnv(graph.env, graph.dataDir);
      const callService = serviceCaller({ name: 'pop-health', internalAuth, serviceUrl: (service) => graph.subgraphs[service as 'care-requests'].url });
      const { startDataLoad } = await callService<{ startDataLoad: { id: string } }>('care-requests', 'mutation { startDataLoad(input: { kind: ROSTER_INGESTION, source: "cut.csv" }) { id } }');
      const abandoned = await unfinished(2 * HOUR, 2);
      await db().roster.update({ where: { id: abandoned }, data: { dataLoadId: startDataLoad.id } });
      const stop = sweepAbandonedIngestions({ client: db(), logger: createLogger('pop-health-test', { LOG_LEVEL: 'error' }), env: {}, callService });
      const load = async () => (await graph.run('admin', DataLoadsDocument, { first: 1000 })).dataLoads.edges.find((e) => e.node.id === startDataLoad.id)?.node;
      await eventually('the abandoned ingestion is gone and its load FAILED', async () => (await left(abandoned))[0] === 0 && (await load())?.status === 'FAILED');
      await stop();
      expect(await left(abandoned)).toEqual([0, 0]);
      expect(await load()).toMatchObject({ source: 'cut.csv', status: 'FAILED', recordCount: 0 });
    });

    it('refuses an ingestion swept while it ran, and keeps nothing of it', async () => {
      const source = new Readable({ read() {} });
      const store = { prisma: db(), database: graph.subgraphs['pop-health'].database, clock: graph.subgraphs['pop-health'].clock, index: rosterIndexFor(db()) };
      const result = ingestRoster(store, { partnerId, kind: 'BACKFILL', fileName: 'slow.csv' }, source).then(
        () => 'finished',
        (error: Error & { extensions?: { code?: string } }) => `${error.extensions?.code}: ${error.message}`,
      );
      const rows = (from: number, count: number) => Array.from({ length: count }, (_, i) => `S${from + i},Ann,,Lee,1950-06-05,F,,,,,`).join('\n');
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
      expect(() => abandonAfterMinutes({ ROSTER_INGEST_ABANDON_MINUTES: 'soon' })).toThrow('ROSTER_INGEST_ABANDON_MINUTES must be a number of minutes, at least 1; got "soon".');
    });
  });

  it('refuses a roster for a partner that does not exist', async () => {
    const { body } = await graph.post(await graph.as('admin'), 'mutation($i: IngestRosterInput!) { ingestRoster(input: $i) { id } }', {
      i: { partnerId: 'no-such-partner', kind: 'CURRENT', fileName: 'x.csv', content: `${HEADER}\n${ROWS[0]}` },
    });
    expect(body.errors?.[0]).toMatchObject({ extensions: { code: 'NOT_FOUND' }, message: expect.stringContaining('no-such-partner') });
  });

  it('refuses ingestion to partner tokens', async () => {
    const { body } = await graph.post(await graph.as('partner', partnerId), 'mutation($i: IngestRosterInput!) { ingestRoster(input: $i) { id } }', {
      i: { partnerId, kind: 'CURRENT', fileName: 'x.csv', content: HEADER },
    });
    expect(body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('matches a batch of patients in one call, with grades and explanations, and never the twin', async () => {
    const { ingestRoster: roster } = await ingest([HEADER, ...ROWS].join('\n'), 'match.csv', 'CURRENT');
    const before = graph.subgraphs['pop-health'].database.queryCount();
    const { matchPatients } = await graph.run('service', MatchPatientsDocument, {
      rosterId: roster.id,
      patients: [
        { id: 'p-bill', givenName: 'BILL', familyName: 'garcia', dateOfBirth: '1948-11-30', sex: 'M', addressLine1: '5 Oak Avenue', postalCode: '80301' },
        { id: 'p-ann', givenName: 'Ann', familyName: 'Lee', dateOfBirth: '1950-06-05', sex: 'F', ssn: '123456780' },
        { id: 'p-twin', givenName: 'Dora', familyName: 'Lee', dateOfBirth: '1950-06-05', sex: 'F', addressLine1: '1 Main St', postalCode: '80201' },
        { id: 'p-stranger', givenName: 'Zed', familyName: 'Quill', dateOfBirth: '2001-01-01' },
      ],
    });
    // One roster-index lookup for the whole batch, plus the roster itself and the matched members
    // (DataLoader) — not one per patient.
    expect(graph.subgraphs['pop-health'].database.queryCount() - before).toBeLessThanOrEqual(4);
    const byId = Object.fromEntries(matchPatients.map((m) => [m.patientId, m]));
    expect(byId['p-bill']).toMatchObject({ accepted: true, rosterPatient: { memberId: 'M3' } });
    expect(byId['p-bill'].explanation!.fields).toContainEqual({ field: 'givenName', level: 'nickname', weight: 5.5 });
    expect(byId['p-ann']).toMatchObject({ accepted: true, grade: 'CERTAIN', rosterPatient: { memberId: 'M1' } });
    expect(byId['p-ann'].explanation!.runnerUp?.rosterPatient.id).toBeDefined();
    expect(byId['p-twin']).toMatchObject({ accepted: false, grade: 'NONE' });
    expect(byId['p-twin'].explanation!.guards).toContain('twin');
    expect(byId['p-stranger']).toMatchObject({ accepted: false, grade: 'NONE', rosterPatient: null, explanation: null });
    expect(JSON.stringify(matchPatients)).not.toContain('123456780');
  });

  it('answers a summary-only selection with summaries, and fragments with the full details', async () => {
    // Straight to pop-health, as the backfill runner calls it: the gateway would flatten the fragments.
    const { ingestRoster: roster } = await ingest([HEADER, ...ROWS].join('\n'), 'match.csv', 'CURRENT');
    const internal = await InternalAuth.fromEnv(graph.env, graph.dataDir);
    const subgraph = { url: graph.subgraphs['pop-health'].url, headers: { [IDENTITY_HEADER]: await internal.sign({ subject: 'test', role: 'service' }) } };
    const variables = { rosterId: roster.id, patients: [{ id: 'p-ann', givenName: 'Ann', familyName: 'Lee', dateOfBirth: '1950-06-05', ssn: '123456780' }] };
    type Answer = { matchPatients: { grade: string; explanation: { summary: string; fields?: { field: string; level: string }[] } }[] };
    const match = async (selection: string, fragments = '') => {
      const query = `query($rosterId: ID!, $patients: [MatchPatientInput!]!) {
        matchPatients(rosterId: $rosterId, patients: $patients) { ${selection} } } ${fragments}`;
      const { body } = await graph.post(subgraph, query, variables);
      expect(body.errors).toBeUndefined();
      return (body.data as Answer).matchPatients[0];
    };
    expect(await match('grade explanation { summary }')).toEqual({ grade: 'CERTAIN', explanation: { summary: expect.stringMatching(/^CERTAIN: /) } });
    const level = { field: 'ssn', level: 'full' };
    expect((await match('grade explanation { summary ...Details }', 'fragment Details on MatchExplanation { fields { field level } }')).explanation.fields).toContainEqual(level);
    expect((await match('...Match', 'fragment Match on PatientMatch { grade explanation { fields { field level } } }')).explanation.fields).toContainEqual(level);
    expect((await match('grade explanation { ... on MatchExplanation { fields { field level } } }')).explanation.fields).toContainEqual(level);
  });

  it('refuses matching to partner tokens and against an unknown roster', async () => {
    const partner = await graph.post(await graph.as('partner', partnerId), '{ matchPatients(rosterId: "x", patients: []) { patientId } }');
    expect(partner.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const missing = await graph.post(await graph.as('service'), '{ matchPatients(rosterId: "nope", patients: []) { patientId } }');
    expect(missing.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});

describe.each(DATABASE_KINDS)('streamed roster upload (POST /rosters) on %s', (kind) => {
  let graph: Graph;
  let partnerId: string;
  beforeAll(async () => {
    graph = await startGraph(kind);
    ({ createPartner: { id: partnerId } } = await graph.run('admin', CreatePartnerDocument, { input: { name: 'Upload Partner' } }));
  });
  afterAll(() => graph?.close());

  const upload = async (body: string | ReadableStream, query: string, token?: string, contentType = 'text/csv') =>
    fetch(`${graph.url.replace('/graphql', '/rosters')}?${query}`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
      duplex: 'half',
    } as RequestInit);

  it('streams a 20,000-row file through the gateway and answers with the roster', async () => {
    // The body is produced as a stream, chunk by chunk, as a large file would be sent.
    const rows = 20_000;
    async function* chunks() {
      yield `${HEADER}\n`;
      for (let i = 0; i < rows; i += 1000) {
        let chunk = '';
        for (let j = i; j < i + 1000; j += 1) chunk += `S${j},Given${j % 97},,Family${j % 89},19${50 + (j % 40)}-0${1 + (j % 9)}-1${j % 9},${j % 2 ? 'F' : 'M'},,${j} Main St,Denver,CO,80201\n`;
        yield chunk;
      }
      yield 'BAD,,,Nobody,1990-01-01,F,,,,,\n';
    }
    const response = await upload(ReadableStream.from(chunks()) as ReadableStream, `partnerId=${partnerId}&kind=BACKFILL&fileName=big.csv`, await graph.token('admin'));
    expect(response.status).toBe(201);
    const { roster } = (await response.json()) as { roster: Record<string, unknown> };
    expect(roster).toMatchObject({ status: 'READY', kind: 'BACKFILL', fileName: 'big.csv', rowCount: rows + 1, acceptedCount: rows, rejectedCount: 1 });
    expect(roster.rejectedRows).toEqual([{ line: rows + 2, memberId: 'BAD', reason: 'first_name is empty' }]);
    const { roster: stored } = await graph.run('admin', RosterDocument, { id: roster.id as string, first: 1 });
    expect(stored!.acceptedCount).toBe(rows);
  });

  it.each([
    ['no token', undefined, 'text/csv', 401, 'UNAUTHENTICATED'],
    ['a partner token', 'partner', 'text/csv', 403, 'FORBIDDEN'],
    ['a JSON body', 'admin', 'application/json', 400, 'BAD_USER_INPUT'],
  ])('refuses %s', async (_label, role, contentType, status, code) => {
    const token = role ? await graph.token(role as 'admin', partnerId) : undefined;
    const response = await upload(`${HEADER}\n`, `partnerId=${partnerId}&kind=CURRENT`, token, contentType);
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
  });

  it('explains a bad kind and a wrong header', async () => {
    const token = await graph.token('admin');
    const kind = await upload(`${HEADER}\n`, `partnerId=${partnerId}&kind=OLD`, token);
    expect(await kind.json()).toEqual({ error: { code: 'BAD_USER_INPUT', message: 'Query parameter kind must be CURRENT or BACKFILL.' } });
    const header = await upload('a,b,c\n1,2,3\n', `partnerId=${partnerId}&kind=CURRENT`, token);
    expect(header.status).toBe(400);
    expect(((await header.json()) as { error: { message: string } }).error.message).toContain('member_id,first_name');
  });
});
