/**
 * A backfill page's effects, exactly once: associations, checkpoint and counts in one transaction, only by
 * the lease holder and only from the checkpoint the page was read after; existing associations kept.
 */
import { DATABASE_KINDS, type Graph, startGraph } from '../../../scripts/in-process-graph';
import { LeaseLost, type Page, PageAlreadyWritten, type PageMatch, writePage } from '../src/backfill-runner/page-writer';

const match = (careRequestId: string, score = 20): PageMatch => ({
  careRequestId,
  rosterPatientId: `rp-${careRequestId}`,
  score,
  grade: 'CERTAIN',
  explanation: { summary: `matched ${careRequestId}`, fields: [{ field: 'ssn', level: 'full', weight: 11 }] },
});

describe.each(DATABASE_KINDS)('writePage on %s', (kind) => {
  let graph: Graph;
  let partnerId: string;
  let serial = 0;
  beforeAll(async () => {
    graph = await startGraph(kind, { env: { BACKFILL_RUNNER: 'off' } });
    const { body } = await graph.post(await graph.as('admin'), 'mutation { createPartner(input: { name: "Page Writer Plan" }) { id } }');
    partnerId = (body.data as { createPartner: { id: string } }).createPartner.id;
  });
  afterAll(() => graph?.close());

  const prisma = () => graph.subgraphs.partners.database.client;
  const clock = () => graph.subgraphs.partners.clock;
  const transaction = () => graph.subgraphs.partners.database.directTransaction;

  /** A run with one partition leased to `runner-a` for a minute (or as `lease` says). */
  async function run(options: { dryRun?: boolean; lease?: { owner: string; expiresInMs: number } } = {}) {
    serial += 1;
    const backfillId = `bf-${kind}-${serial}`;
    const lease = options.lease ?? { owner: 'runner-a', expiresInMs: 60_000 };
    await prisma().backfillRun.create({
      data: {
        backfillId,
        partnerId,
        rosterId: 'roster-1',
        windowFrom: new Date('2026-01-01T00:00:00Z'),
        windowUntil: new Date('2026-02-01T00:00:00Z'),
        batchSize: 100,
        acceptGrades: ['CERTAIN', 'PROBABLE'],
        dryRun: options.dryRun ?? false,
        total: 10,
        partitions: {
          create: {
            windowFrom: new Date('2026-01-01T00:00:00Z'),
            windowUntil: new Date('2026-02-01T00:00:00Z'),
            leaseOwner: lease.owner,
            leaseExpiresAt: new Date(Date.now() + lease.expiresInMs),
          },
        },
      },
      include: { partitions: true },
    });
    const partition = await prisma().backfillPartition.findFirstOrThrow({ where: { backfillId } });
    const cr = (i: number) => `cr-${backfillId}-${i}`;
    const page = (overrides: Partial<Page> = {}): Page => ({
      partitionId: partition.id,
      owner: 'runner-a',
      after: null,
      checkpoint: 'cursor-1',
      processed: 5,
      matches: [match(cr(1)), match(cr(2)), match(cr(3))],
      ...overrides,
    });
    const state = async () => ({
      run: await prisma().backfillRun.findUniqueOrThrow({
        where: { backfillId },
        select: { processed: true, matched: true, created: true, alreadyAssociated: true },
      }),
      partition: await prisma().backfillPartition.findUniqueOrThrow({
        where: { id: partition.id },
        select: { checkpoint: true, processed: true },
      }),
      associations: await prisma().partnerAssociation.findMany({
        where: { careRequestId: { startsWith: `cr-${backfillId}-` } },
        orderBy: { careRequestId: 'asc' },
      }),
    });
    return { backfillId, partition, cr, page, state };
  }

  it('writes the associations, the checkpoint and the counts together, keeping an existing association', async () => {
    const { backfillId, cr, page, state } = await run();
    await prisma().partnerAssociation.create({
      data: { partnerId, careRequestId: cr(2), source: 'MANUAL', lastUpdated: new Date() },
    });
    expect(await writePage(transaction(), clock(), page())).toMatchObject({ created: 2, alreadyAssociated: 1 });
    const { run: counts, partition, associations } = await state();
    expect(counts).toEqual({ processed: 5, matched: 3, created: 2, alreadyAssociated: 1 });
    expect(partition).toEqual({ checkpoint: 'cursor-1', processed: 5 });
    expect(associations.map((a) => [a.careRequestId, a.source, a.backfillId])).toEqual([
      [cr(1), 'BACKFILL', backfillId],
      [cr(2), 'MANUAL', null],
      [cr(3), 'BACKFILL', backfillId],
    ]);
    const created = associations[0];
    expect(created).toMatchObject({ rosterPatientId: `rp-${cr(1)}`, matchScore: 20, matchGrade: 'CERTAIN', partnerId });
    expect(created.matchExplanation).toEqual(match(cr(1)).explanation);
    expect(created.lastUpdated).toBeInstanceOf(Date);
  });

  it('refuses the same page twice (nothing counted twice) and takes the next one from its checkpoint', async () => {
    const { cr, page, state } = await run();
    await writePage(transaction(), clock(), page());
    const once = await state();
    await expect(writePage(transaction(), clock(), page())).rejects.toBeInstanceOf(PageAlreadyWritten);
    expect(await state()).toEqual(once);
    await writePage(transaction(), clock(), page({ after: 'cursor-1', checkpoint: 'cursor-2', processed: 4, matches: [match(cr(4))] }));
    expect((await state()).run).toEqual({ processed: 9, matched: 4, created: 4, alreadyAssociated: 0 });
  });

  it.each([
    ['another instance holds the lease', { owner: 'runner-b', expiresInMs: 60_000 }],
    ['the lease has expired', { owner: 'runner-a', expiresInMs: -1_000 }],
  ])('writes nothing when %s', async (_label, lease) => {
    const { page, state } = await run({ lease });
    const before = await state();
    await expect(writePage(transaction(), clock(), page())).rejects.toBeInstanceOf(LeaseLost);
    expect(await state()).toEqual(before);
  });

  it('counts a dry run without writing an association', async () => {
    const { page, state } = await run({ dryRun: true });
    expect(await writePage(transaction(), clock(), page())).toMatchObject({ created: 0, alreadyAssociated: 0 });
    const { run: counts, associations } = await state();
    expect(counts).toEqual({ processed: 5, matched: 3, created: 0, alreadyAssociated: 0 });
    expect(associations).toEqual([]);
  });

  it("stamps new associations so that a partner's since-pull sees them although their care requests are old", async () => {
    const { body: before } = await graph.post(await graph.as('partner', partnerId), `{ partners { transactionTime } }`);
    const watermark = (before.data as { partners: { transactionTime: string } }).partners.transactionTime;
    const { cr, page } = await run();
    await writePage(transaction(), clock(), page({ matches: [match(cr(7))] }));
    const { body } = await graph.post(
      await graph.as('partner', partnerId),
      'query($id: ID!, $since: PartialDateTime) { partner(id: $id) { associations(lastUpdated: { gt: $since }) { edges { node { careRequest { id } source } } } } }',
      { id: partnerId, since: watermark },
    );
    expect(body.errors).toBeUndefined();
    const edges = (body.data as { partner: { associations: { edges: { node: { careRequest: { id: string }; source: string } }[] } } })
      .partner.associations.edges;
    expect(edges.map((e) => e.node.source)).toEqual(['BACKFILL']);
  });
});
