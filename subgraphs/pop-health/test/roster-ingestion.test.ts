/**
 * Roster ingestion end to end: row-by-row rejections, whole-file failures, no duplicates on re-ingest, the
 * data-load feed, and the streamed upload through the gateway.
 */
import { DataLoadsDocument, RosterDocument } from '@care-graph/operations';
import { DATABASE_KINDS, type Graph } from '../../../scripts/in-process-graph';
import { HEADER, ROWS, type RosterGraph, startGraphWithPartner } from './roster-fixtures';

describe.each(DATABASE_KINDS)('roster ingestion on %s', (kind) => {
  let graph: Graph;
  let partnerId: string;
  let ingest: RosterGraph['ingest'];
  beforeAll(async () => ({ graph, partnerId, ingest } = await startGraphWithPartner(kind, 'Roster Partner')));
  afterAll(() => graph?.close());

  it('keeps the good rows and rejects the bad ones with line number and reason', async () => {
    const { ingestRoster: roster } = await ingest([HEADER, ...ROWS].join('\n'));
    expect(roster).toMatchObject({
      status: 'READY',
      kind: 'BACKFILL',
      rowCount: 9,
      acceptedCount: 4,
      rejectedCount: 5,
      partner: { id: partnerId },
    });
    expect(roster.rejectedRows).toEqual([
      { line: 5, memberId: 'M4', reason: 'date_of_birth "1948-13-30" is not a calendar date YYYY-MM-DD' },
      { line: 6, memberId: 'M5', reason: 'sex "X" is not one of F, M, O, U' },
      { line: 7, memberId: 'M6', reason: 'first_name is empty' },
      { line: 8, memberId: 'M7', reason: 'ssn must be 9 digits (dashes allowed) or empty' },
      { line: 9, memberId: 'M1', reason: 'duplicate member_id "M1" (the first row with it is kept)' },
    ]);
    const { roster: stored } = await graph.run('admin', RosterDocument, { id: roster.id, first: 10 });
    expect(stored!.patients.edges.map((e) => e.node.memberId).sort()).toEqual(['M1', 'M2', 'M3', 'M8']);
    const peggy = stored!.patients.edges.find((e) => e.node.memberId === 'M8')!.node;
    expect(peggy.ssnLast4).toBeNull();
    // READY with its term frequencies, of the accepted rows only: Ann and her twin Clara share a surname,
    // a birth date, a street and a ZIP code; the rejected duplicate M1 is not counted.
    const frequencies = await graph.subgraphs['pop-health'].database.client.rosterTermFrequencies.findUniqueOrThrow({
      where: { rosterId: roster.id },
    });
    expect(frequencies).toEqual({
      rosterId: roster.id,
      size: 4,
      counts: {
        givenName: {},
        familyName: { lee: 2 },
        dateOfBirth: { '1950-06-05': 2 },
        street: { '1 main st': 2 },
        postalCode: { '80201': 2 },
      },
    });
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
    // The second copy's roster patients were written while it was read, and are gone with it.
    expect(await stored()).toEqual(before);
    // The same file as the other kind is a different roster.
    const current = (await ingest(content, 'again.csv', 'CURRENT')).ingestRoster;
    expect(current.id).not.toBe(first.id);
  });

  it.each([
    ['a wrong header', 'id,first,last\n1,Ann,Lee', 'header "member_id,first_name'],
    ['an empty file', '', 'The roster is empty'],
    ['something that is not CSV', `${HEADER}\n"M1,Ann,unclosed quote`, 'is not a readable CSV file'],
    ['a quote inside an unquoted name', `${HEADER}\nM1,Ann,,O"Brien,1950-06-05,F,,,,,`, 'line 2: a field has a quote (") inside it'],
    ['binary garbage', `${HEADER}\n\u0000\u00ff"\u0001\u0002,,,`, 'is not a readable CSV file: line 2'],
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
    // The file's values are not echoed (csv-parse's own message quotes them: "value is …").
    expect(body.errors?.[0].message).not.toContain('value is');
    expect(body.errors?.[0].message).not.toContain('\u0000');
    expect(await stored()).toEqual(before);
  });

  it('refuses a roster for a partner that does not exist', async () => {
    const { body } = await graph.post(await graph.as('admin'), 'mutation($i: IngestRosterInput!) { ingestRoster(input: $i) { id } }', {
      i: { partnerId: 'no-such-partner', kind: 'CURRENT', fileName: 'x.csv', content: `${HEADER}\n${ROWS[0]}` },
    });
    expect(body.errors?.[0]).toMatchObject({ extensions: { code: 'NOT_FOUND' }, message: expect.stringContaining('no-such-partner') });
  });

  it("answers another partner's roster as a missing one, naming nothing of it", async () => {
    const { ingestRoster } = await ingest(`${HEADER}\n${ROWS[0]}`, 'private-file.csv');
    const stranger = await graph.as('partner', 'some-other-partner');
    const { body } = await graph.post(
      stranger,
      `{ roster(id: "${ingestRoster.id}") { id fileName } backfills(partnerId: "${partnerId}") { edges { node { id } } } }`,
    );
    expect(body).toEqual({ data: { roster: null, backfills: { edges: [] } } });
    const own = await graph.post(await graph.as('partner', partnerId), `{ roster(id: "${ingestRoster.id}") { fileName } }`);
    expect(own.body).toEqual({ data: { roster: { fileName: 'private-file.csv' } } });
  });

  it('refuses ingestion to partner tokens', async () => {
    const { body } = await graph.post(
      await graph.as('partner', partnerId),
      'mutation($i: IngestRosterInput!) { ingestRoster(input: $i) { id } }',
      {
        i: { partnerId, kind: 'CURRENT', fileName: 'x.csv', content: HEADER },
      },
    );
    expect(body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe.each(DATABASE_KINDS)('streamed roster upload (POST /rosters) on %s', (kind) => {
  let graph: Graph;
  let partnerId: string;
  beforeAll(async () => ({ graph, partnerId } = await startGraphWithPartner(kind, 'Upload Partner')));
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
        for (let j = i; j < i + 1000; j += 1)
          chunk += `S${j},Given${j % 97},,Family${j % 89},19${50 + (j % 40)}-0${1 + (j % 9)}-1${j % 9},${j % 2 ? 'F' : 'M'},,${j} Main St,Denver,CO,80201\n`;
        yield chunk;
      }
      yield 'BAD,,,Nobody,1990-01-01,F,,,,,\n';
    }
    const response = await upload(
      ReadableStream.from(chunks()) as ReadableStream,
      `partnerId=${partnerId}&kind=BACKFILL&fileName=big.csv`,
      await graph.token('admin'),
    );
    expect(response.status).toBe(201);
    const { roster } = (await response.json()) as { roster: Record<string, unknown> };
    expect(roster).toMatchObject({
      status: 'READY',
      kind: 'BACKFILL',
      fileName: 'big.csv',
      rowCount: rows + 1,
      acceptedCount: rows,
      rejectedCount: 1,
    });
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
