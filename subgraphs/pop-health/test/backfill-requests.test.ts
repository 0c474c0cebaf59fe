/**
 * Starting, cancelling, finishing and listing backfills through the gateway (the whole graph in-process):
 * every refusal of startBackfill names its field, the same idempotency key returns the same backfill, an
 * overlapping active backfill of the partner is CONFLICT naming it (also when two starts race), a backfill on
 * a roster still ingesting waits (INGESTING) and fails when the ingestion fails, and finishBackfill (service
 * only) is idempotent; and listing a partner's rosters, to pick the one a backfill uses. The hand-off to
 * partners is tested in backfill-lifecycle.test.ts and, across both services, in gateway/test/backfill-flow.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { IngestRosterDocument, RostersDocument, type RostersQueryVariables } from '@care-graph/operations';
import { type Identity, InternalAuth, internalSigner, writeStamp } from '@care-graph/service-kit';
import { eventually } from '../../../scripts/eventually';
import { DATABASE_KINDS, type Graph } from '../../../scripts/in-process-graph';
import { removeUnfinishedIngestions } from '../src/roster-ingestion/abandoned-ingestions';
import { HEADER, ROWS, startGraphWithPartner } from './roster-fixtures';

const FIELDS =
  'id status phase batchSize acceptGrades dryRun requestedBy requestedAt cancelledBy cancelledAt startedAt finishedAt error stepError stepAttempts startDate endDate';
const START = `mutation($input: StartBackfillInput!) { startBackfill(input: $input) { ${FIELDS} } }`;
const CANCEL = `mutation($id: ID!) { cancelBackfill(id: $id) { ${FIELDS} } }`;
const FINISH = `mutation($input: FinishBackfillInput!) { finishBackfill(input: $input) { ${FIELDS} } }`;

interface Answer {
  data?: Record<string, Record<string, unknown> | null> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

describe.each(DATABASE_KINDS)('backfill requests on %s', (kind) => {
  let graph: Graph;
  let partnerId: string;
  let rosterId: string;
  let currentRosterId: string;
  let otherRosterId: string;
  beforeAll(async () => {
    // No partners runner: a backfill handed off stays RUNNING (partners has its run, nobody works it), so an
    // active backfill stays active for as long as a test needs it.
    const started = await startGraphWithPartner(kind, 'Backfill Request Partner', { BACKFILL_RUNNER: 'off' });
    ({ graph, partnerId } = started);
    rosterId = (await started.ingest([HEADER, ...ROWS].join('\n'), 'aspen-backfill.csv', 'BACKFILL')).ingestRoster.id;
    currentRosterId = (await started.ingest([HEADER, ...ROWS].join('\n'), 'aspen-current.csv', 'CURRENT')).ingestRoster.id;
    const other = await startGraphWithPartnerOn(graph, 'Another Partner');
    otherRosterId = other.rosterId;
  });
  afterAll(() => graph?.close());

  /** A second partner in the same graph with a READY BACKFILL roster. */
  async function startGraphWithPartnerOn(g: Graph, name: string) {
    const { body } = await g.post(await g.as('admin'), 'mutation($name: String!) { createPartner(input: { name: $name }) { id } }', {
      name,
    });
    const id = (body.data as { createPartner: { id: string } }).createPartner.id;
    const roster = await g.post(await g.as('admin'), 'mutation($input: IngestRosterInput!) { ingestRoster(input: $input) { id } }', {
      input: { partnerId: id, kind: 'BACKFILL', fileName: 'other.csv', content: [HEADER, ROWS[0]].join('\n') },
    });
    return { partnerId: id, rosterId: (roster.body.data as { ingestRoster: { id: string } }).ingestRoster.id };
  }

  const newPartner = async () => startGraphWithPartnerOn(graph, `Partner ${randomUUID()}`);
  const admin = (email?: string) => graph.as('admin', undefined, email);
  const start = async (input: Record<string, unknown>, as?: Awaited<ReturnType<Graph['as']>>) =>
    (
      await graph.post(as ?? (await admin()), START, {
        input: { partnerId, rosterId, startDate: '2026-01-01', endDate: '2026-01-31', ...input },
      })
    ).body as Answer;
  const db = () => graph.subgraphs['pop-health'].database.client;

  it.each([
    ['dates out of order', { startDate: '2026-02-01', endDate: '2026-01-31' }, 'input.startDate', 'must not be after endDate'],
    ['an endDate in the future', { endDate: '2099-01-01' }, 'input.endDate', 'must not be in the future'],
    ['a batch size of 0', { batchSize: 0 }, 'input.batchSize', 'from 1 to 5000'],
    ['a batch size of 5,001', { batchSize: 5001 }, 'input.batchSize', 'from 1 to 5000'],
    ['no grades', { acceptGrades: [] }, 'input.acceptGrades', 'at least one grade'],
    ['the grade NONE', { acceptGrades: ['CERTAIN', 'NONE'] }, 'input.acceptGrades', 'NONE never makes an association'],
    ['an unknown partner', { partnerId: 'no-such-partner' }, 'input.partnerId', 'No partner no-such-partner'],
    ['an unknown roster', { rosterId: 'no-such-roster' }, 'input.rosterId', 'No roster no-such-roster'],
    ['a CURRENT roster', {}, 'input.rosterId', 'a backfill needs a BACKFILL roster'],
    ["another partner's roster", {}, 'input.rosterId', 'No roster'],
    ['an empty idempotency key', { idempotencyKey: '' }, 'input.idempotencyKey', '1 to 200 characters'],
  ])('refuses %s with BAD_USER_INPUT naming %s', async (what, input, field, says) => {
    const rosterFor: Record<string, string> = { 'a CURRENT roster': currentRosterId, "another partner's roster": otherRosterId };
    const answer = await start({ ...input, ...(rosterFor[what] ? { rosterId: rosterFor[what] } : {}) });
    expect(answer.errors?.map((e) => ({ code: e.extensions?.code, field: e.extensions?.field }))).toEqual([
      { code: 'BAD_USER_INPUT', field },
    ]);
    expect(answer.errors![0].message).toContain(says);
    if (what === "another partner's roster") expect(answer.errors![0].message).not.toContain('other.csv');
  });

  it('refuses a FAILED roster, saying why it failed', async () => {
    const failed = await db().roster.create({
      data: {
        partnerId,
        kind: 'BACKFILL',
        fileName: 'broken.csv',
        contentHash: `broken:${randomUUID()}`,
        status: 'FAILED',
        error: 'broken.csv is not a readable CSV file.',
      },
    });
    const answer = await start({ rosterId: failed.id });
    expect(answer.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.rosterId' } });
    expect(answer.errors![0].message).toContain('broken.csv is not a readable CSV file.');
  });

  it('starts PENDING at once with the defaults, the requester and the email claim; the same key returns it', async () => {
    const { partnerId: p, rosterId: r } = await newPartner();
    const as = await admin('ada@example.org');
    const before = Date.now();
    const first = await start({ partnerId: p, rosterId: r, idempotencyKey: 'k-1' }, as);
    expect(first.errors).toBeUndefined();
    const backfill = first.data!.startBackfill!;
    expect(backfill).toMatchObject({
      status: 'PENDING',
      phase: 'HANDING_OFF',
      batchSize: 2000,
      acceptGrades: ['CERTAIN', 'PROBABLE'],
      dryRun: false,
      requestedBy: 'test-admin',
      startedAt: null,
      finishedAt: null,
      startDate: '2026-01-01',
      endDate: '2026-01-31',
    });
    expect(Date.parse(backfill.requestedAt as string)).toBeGreaterThanOrEqual(before - 1000);
    expect((await db().backfill.findUniqueOrThrow({ where: { id: backfill.id as string } })).requestedByEmail).toBe('ada@example.org');
    // Same key, other settings: the first request's backfill, whatever else this one says.
    const again = await start({ partnerId: p, rosterId: r, idempotencyKey: 'k-1', batchSize: 9, startDate: '2025-01-01' }, as);
    expect(again.data!.startBackfill!.id).toBe(backfill.id);
    await graph.post(as, CANCEL, { id: backfill.id });
  });

  it('answers CONFLICT naming the active backfill whose window overlaps; a later window is fine', async () => {
    const { partnerId: p, rosterId: r } = await newPartner();
    const first = (await start({ partnerId: p, rosterId: r, startDate: '2026-01-01', endDate: '2026-01-31' })).data!.startBackfill!;
    const overlapping = await start({ partnerId: p, rosterId: r, startDate: '2026-01-31', endDate: '2026-02-10' });
    expect(overlapping.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT', backfillId: first.id } });
    expect(overlapping.errors![0].message).toContain(first.id as string);
    const later = await start({ partnerId: p, rosterId: r, startDate: '2026-02-01', endDate: '2026-02-10' });
    expect(later.data?.startBackfill?.status).toBe('PENDING');
    // Once it is cancelled, the window is free again.
    await graph.post(await admin(), CANCEL, { id: first.id });
    // A running backfill is active until partners confirmed its cancel (phase CANCELLING until then).
    await eventually('the cancel is confirmed', async () => {
      const { body } = await graph.post(await admin(), 'query($id: ID!) { backfill(id: $id) { status } }', { id: first.id });
      return (body as { data: { backfill: { status: string } } }).data.backfill.status === 'CANCELLED';
    });
    const freed = await start({ partnerId: p, rosterId: r, startDate: '2026-01-15', endDate: '2026-01-20' });
    expect(freed.errors).toBeUndefined();
  });

  it('serialises concurrent starts of one partner: of five overlapping, one is accepted and four are CONFLICT', async () => {
    const { partnerId: p, rosterId: r } = await newPartner();
    const answers = await Promise.all(
      Array.from({ length: 5 }, (_, i) => start({ partnerId: p, rosterId: r, startDate: `2026-03-0${i + 1}`, endDate: '2026-03-20' })),
    );
    expect(answers.filter((a) => a.data?.startBackfill).length).toBe(1);
    const accepted = answers.find((a) => a.data?.startBackfill)!.data!.startBackfill!.id;
    expect(answers.filter((a) => a.errors?.[0]?.extensions?.code === 'CONFLICT').map((a) => a.errors![0].extensions!.backfillId)).toEqual(
      Array(4).fill(accepted),
    );
    expect(await db().backfill.count({ where: { partnerId: p } })).toBe(1);
  });

  it('waits for a roster still ingesting (INGESTING), and fails when its ingestion fails, saying why', async () => {
    const { partnerId: p } = await newPartner();
    const ingesting = await db().roster.create({
      data: { partnerId: p, kind: 'BACKFILL', fileName: 'slow.csv', contentHash: `pending:${randomUUID()}`, status: 'INGESTING' },
    });
    const waiting = (await start({ partnerId: p, rosterId: ingesting.id })).data!.startBackfill!;
    expect(waiting).toMatchObject({ status: 'INGESTING', phase: 'WAITING_FOR_ROSTER', startedAt: null });
    await db().roster.update({ where: { id: ingesting.id }, data: { status: 'FAILED', error: 'slow.csv is not a readable CSV file.' } });
    const read = `query($id: ID!) { backfill(id: $id) { ${FIELDS} } }`;
    const failed = await eventually('the backfill fails', async () => {
      const { body } = await graph.post(await admin(), read, { id: waiting.id });
      const b = (body as Answer).data?.backfill;
      if (!b) throw new Error(JSON.stringify(body));
      return b.status === 'FAILED' ? b : null;
    });
    expect(failed.error).toContain("The roster's ingestion failed: slow.csv is not a readable CSV file.");
    expect(failed.finishedAt).not.toBeNull();
  });

  it('keeps a roster a backfill waits on when its ingestion fails: FAILED with the reason, not deleted', async () => {
    const { partnerId: p } = await newPartner();
    const pending = await db().roster.create({
      data: {
        partnerId: p,
        kind: 'BACKFILL',
        fileName: 'cut.csv',
        contentHash: `pending:${randomUUID()}`,
        status: 'INGESTING',
        createdAt: new Date(Date.now() - 3 * 3600_000),
      },
    });
    await start({ partnerId: p, rosterId: pending.id });
    await removeUnfinishedIngestions(db(), new Date(Date.now() - 3600_000));
    expect(await db().roster.findUniqueOrThrow({ where: { id: pending.id } })).toMatchObject({
      status: 'FAILED',
      error: expect.stringContaining('abandoned'),
    });
  });

  it('cancels a backfill partners has no run of at once (CANCELLED, cancelledBy, finishedAt) and refuses a second cancel with CONFLICT', async () => {
    const { partnerId: p } = await newPartner();
    // A roster still ingesting holds the backfill before the hand-off (INGESTING).
    const pending = await db().roster.create({
      data: { partnerId: p, kind: 'BACKFILL', fileName: 'held.csv', contentHash: `held:${randomUUID()}`, status: 'INGESTING' },
    });
    const backfill = (await start({ partnerId: p, rosterId: pending.id })).data!.startBackfill!;
    expect(backfill.status).toBe('INGESTING');
    const { body } = await graph.post(await admin(), CANCEL, { id: backfill.id });
    const cancelled = (body as Answer).data!.cancelBackfill!;
    expect(cancelled).toMatchObject({ status: 'CANCELLED', cancelledBy: 'test-admin', startedAt: null });
    expect(cancelled.finishedAt).not.toBeNull();
    expect(cancelled.cancelledAt).not.toBeNull();
    const again = (await graph.post(await admin(), CANCEL, { id: backfill.id })).body as Answer;
    expect(again.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' } });
    expect(again.errors![0].message).toContain('already CANCELLED');
    const missing = (await graph.post(await admin(), CANCEL, { id: 'no-such-backfill' })).body as Answer;
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('refuses startBackfill and cancelBackfill to partner tokens (FORBIDDEN)', async () => {
    const asPartner = await graph.as('partner', partnerId);
    expect(((await start({}, asPartner)).errors ?? []).map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    const cancel = (await graph.post(asPartner, CANCEL, { id: 'x' })).body as Answer;
    expect(cancel.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });

  it('finishBackfill (service only) validates its counts and is idempotent', async () => {
    const internalAuth = await InternalAuth.fromEnv(graph.env, graph.dataDir);
    const service: Identity = { subject: 'partners', role: 'service' };
    const asService = { url: graph.subgraphs['pop-health'].url, sign: internalSigner(internalAuth, service, 'pop-health') };
    const { partnerId: p, rosterId: r } = await newPartner();
    const backfill = await db().backfill.create({
      data: {
        partnerId: p,
        rosterId: r,
        startDate: new Date('2026-01-01'),
        endDate: new Date('2026-01-31'),
        status: 'RUNNING',
        phase: 'MATCHING',
        startedAt: new Date(),
        lastUpdated: new Date(),
      },
    });
    const finish = async (input: Record<string, unknown>) =>
      (
        await graph.post(asService, FINISH, {
          input: { backfillId: backfill.id, processed: 10, total: 10, matched: 5, created: 4, alreadyAssociated: 1, ...input },
        })
      ).body as Answer;
    for (const [input, field] of [
      [{ outcome: 'COMPLETED', processed: 9 }, 'input.processed'],
      [{ outcome: 'FAILED' }, 'input.error'],
      [{ outcome: 'CANCELLED', created: -1 }, 'input.created'],
      [{ outcome: 'CANCELLED', processed: 11 }, 'input.processed'],
    ] as const) {
      expect({ input, errors: (await finish(input)).errors?.map((e) => e.extensions?.field) }).toEqual({ input, errors: [field] });
    }
    const done = (await finish({ outcome: 'COMPLETED' })).data!.finishBackfill!;
    expect(done).toMatchObject({ status: 'COMPLETED', error: null });
    expect(done.finishedAt).not.toBeNull();
    const again = (await finish({ outcome: 'FAILED', error: 'late report' })).data!.finishBackfill!;
    expect({ ...again, phase: null }).toEqual({ ...done, phase: null });
    const asAdmin = (
      await graph.post(await admin(), FINISH, {
        input: { backfillId: backfill.id, outcome: 'COMPLETED', processed: 1, total: 1, matched: 0, created: 0, alreadyAssociated: 0 },
      })
    ).body as Answer;
    expect(asAdmin.data?.finishBackfill).toBeTruthy(); // admin may do everything; partners only through the service path
    const missing = (
      await graph.post(asService, FINISH, {
        input: { backfillId: 'nope', outcome: 'CANCELLED', processed: 0, total: 0, matched: 0, created: 0, alreadyAssociated: 0 },
      })
    ).body as Answer;
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it("lists backfills by partner and status, and a roster's backfills", async () => {
    const { partnerId: p, rosterId: r } = await newPartner();
    const a = (await start({ partnerId: p, rosterId: r, startDate: '2026-04-01', endDate: '2026-04-02' })).data!.startBackfill!;
    const b = (await start({ partnerId: p, rosterId: r, startDate: '2026-04-03', endDate: '2026-04-04' })).data!.startBackfill!;
    await graph.post(await admin(), CANCEL, { id: a.id });
    const list = async (status?: string[]) => {
      const { body } = await graph.post(
        await admin(),
        'query($p: ID, $s: [BackfillStatus!]) { backfills(partnerId: $p, status: $s, first: 10) { edges { node { id status } } } }',
        { p, s: status },
      );
      return (body as { data: { backfills: { edges: { node: { id: string; status: string } }[] } } }).data.backfills.edges
        .map((e) => e.node.id)
        .sort();
    };
    // A list returns what the watermark vouches for: the cancel's write shows once the watermark passed it.
    await eventually('both backfills are listed', async () => JSON.stringify(await list()) === JSON.stringify([a.id, b.id].sort()));
    // A running backfill's cancel ends once partners confirmed it (phase CANCELLING until then).
    await eventually(
      'the cancelled one is listed as CANCELLED',
      async () => JSON.stringify(await list(['CANCELLED'])) === JSON.stringify([a.id]),
    );
    expect(await list(['COMPLETED'])).toEqual([]);
    // Paged one by one; a backfill's last lifecycle write (phase DONE, RUNNING after the hand-off) moves it in a
    // list ordered by lastUpdated, so the two pages are read again until both backfills have settled.
    const pages = async () => {
      const { body } = await graph.post(
        await admin(),
        'query($id: ID!) { roster(id: $id) { backfills(first: 1) { edges { node { id } } pageInfo { hasNextPage endCursor } } } }',
        { id: r },
      );
      const page = (
        body as {
          data: { roster: { backfills: { edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } } };
        }
      ).data.roster.backfills;
      if (page.edges.length !== 1 || !page.pageInfo.hasNextPage) return null;
      const next = await graph.post(
        await admin(),
        'query($id: ID!, $after: String) { roster(id: $id) { backfills(first: 5, after: $after) { edges { node { id } } } } }',
        { id: r, after: page.pageInfo.endCursor },
      );
      const rest = (next.body as { data: { roster: { backfills: { edges: { node: { id: string } }[] } } } }).data.roster.backfills.edges;
      return [page.edges[0].node.id, ...rest.map((e) => e.node.id)].sort();
    };
    await eventually(
      'the roster lists both backfills over two pages',
      async () => JSON.stringify(await pages()) === JSON.stringify([a.id, b.id].sort()),
    );
  });

  it("lists a partner's rosters by kind and status, oldest change first, page by page", async () => {
    const { partnerId: p, rosterId: first } = await newPartner();
    const ingest = async (fileName: string, kind: 'CURRENT' | 'BACKFILL', rows: string[]) =>
      (
        await graph.run('admin', IngestRosterDocument, {
          input: { partnerId: p, kind, fileName, content: [HEADER, ...rows].join('\n') },
        })
      ).ingestRoster.id;
    const current = await ingest('aspen-current.csv', 'CURRENT', ROWS);
    const second = await ingest('aspen-spring.csv', 'BACKFILL', ROWS.slice(1, 3));
    // A FAILED roster is kept only while a backfill refers to it; here it is put in place directly.
    const failed = (
      await db().$transaction(async (tx) =>
        tx.roster.create({
          data: {
            partnerId: p,
            kind: 'BACKFILL',
            fileName: 'broken.csv',
            contentHash: `broken:${randomUUID()}`,
            status: 'FAILED',
            error: 'broken.csv is not a readable CSV file.',
            lastUpdated: await writeStamp(tx),
          },
        }),
      )
    ).id;
    const list = async (variables: RostersQueryVariables = {}, as?: Awaited<ReturnType<Graph['as']>>) =>
      (await graph.run(as ?? 'admin', RostersDocument, { partnerId: p, ...variables })).rosters;
    const ids = async (variables: RostersQueryVariables = {}, as?: Awaited<ReturnType<Graph['as']>>) =>
      (await list(variables, as)).edges.map((e) => e.node.id);

    // A list returns what the watermark vouches for: the last write shows once the watermark passed it.
    const all = [first, current, second, failed];
    await eventually('the four rosters are listed', async () => JSON.stringify(await ids()) === JSON.stringify(all));
    expect((await list()).edges[0].node).toEqual({
      id: first,
      kind: 'BACKFILL',
      fileName: 'other.csv',
      status: 'READY',
      rowCount: 1,
      acceptedCount: 1,
      rejectedCount: 0,
      createdAt: expect.any(String),
      partner: { id: p },
    });
    expect(await ids({ kind: 'BACKFILL' })).toEqual([first, second, failed]);
    expect(await ids({ kind: 'CURRENT' })).toEqual([current]);
    expect(await ids({ status: ['READY'] })).toEqual([first, current, second]);
    expect(await ids({ status: ['FAILED', 'INGESTING'] })).toEqual([failed]);
    expect(await ids({ kind: 'BACKFILL', status: ['READY'] })).toEqual([first, second]);
    expect(await ids({ status: ['PENDING', 'INGESTING'] })).toEqual([]);
    // Without partnerId, an admin sees every partner's rosters.
    expect(await ids({ partnerId: null, first: 1000 })).toEqual(expect.arrayContaining([rosterId, otherRosterId, ...all]));

    // Paged: each roster once, in order; a cursor belongs to its list (the same filters).
    const page1 = await list({ kind: 'BACKFILL', first: 2 });
    expect(page1.edges.map((e) => e.node.id)).toEqual([first, second]);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = await list({ kind: 'BACKFILL', first: 2, after: page1.pageInfo.endCursor });
    expect(page2.edges.map((e) => e.node.id)).toEqual([failed]);
    expect(page2.pageInfo).toEqual({ hasNextPage: false, endCursor: expect.any(String) });
    const { body } = await graph.post(
      await admin(),
      'query($p: ID, $after: String) { rosters(partnerId: $p, kind: CURRENT, after: $after) { transactionTime } }',
      { p, after: page1.pageInfo.endCursor },
    );
    expect((body as Answer).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    // A partner token sees its own rosters only; another partner's id answers an empty list, not an error.
    const asPartner = await graph.as('partner', p);
    expect(await ids({ partnerId: null }, asPartner)).toEqual(all);
    expect(await ids({ partnerId }, asPartner)).toEqual([]);
  });
});
