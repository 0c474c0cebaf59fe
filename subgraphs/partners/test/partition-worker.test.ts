/**
 * One partition of a backfill worked against the real services: pages read from care-requests, matched with
 * one pop-health call each, written with their checkpoint; a constant number of calls and statements per
 * page; a restart from the checkpoint ends with exactly the associations of an uninterrupted run.
 */
import { InternalAuth, serviceClient } from '@care-graph/service-kit';
import { DATABASE_KINDS, type Graph, startGraph } from '../../../scripts/in-process-graph';
import { claimPartition } from '../src/backfill-runner/leases';
import { processPartition, type WorkerDeps } from '../src/backfill-runner/partition-worker';

const HEADER = 'member_id,first_name,middle_name,last_name,date_of_birth,sex,ssn,address_line1,city,state,zip';
const MEMBERS = 30;
const SSN = (i: number) => `5${String(10_000_000 + i * 7919).slice(-8)}`;
const DAY = Date.UTC(2026, 1, 1);

describe.each(DATABASE_KINDS)('processPartition on %s', (kind) => {
  let graph: Graph;
  let partnerId: string;
  let rosterId: string;
  let serial = 0;
  let calls: string[];
  let deps: (owner: string, shouldStop?: () => Promise<boolean>) => WorkerDeps;

  beforeAll(async () => {
    graph = await startGraph(kind, { env: { BACKFILL_RUNNER: 'off' } });
    const admin = await graph.as('admin');
    const created = await graph.post(admin, 'mutation { createPartner(input: { name: "Worker Plan" }) { id } }');
    partnerId = (created.body.data as { createPartner: { id: string } }).createPartner.id;
    // Members 0..29; care requests: every member once (matching by SSN and birth date), plus 10 strangers.
    const rows = Array.from(
      { length: MEMBERS },
      (_, i) => `W${i},Member${i},,Family${i},1960-01-${String((i % 28) + 1).padStart(2, '0')},F,${SSN(i)},,,,`,
    );
    const roster = await graph.post(admin, 'mutation($i: IngestRosterInput!) { ingestRoster(input: $i) { id status acceptedCount } }', {
      i: { partnerId, kind: 'BACKFILL', fileName: 'worker.csv', content: [HEADER, ...rows].join('\n') },
    });
    rosterId = (roster.body.data as { ingestRoster: { id: string; acceptedCount: number } }).ingestRoster.id;
    const records = [
      ...Array.from({ length: MEMBERS }, (_, i) => ({
        id: `cr-w-${String(i).padStart(2, '0')}`,
        createdAt: new Date(DAY + Math.floor(i / 3) * 60_000).toISOString(), // runs of 3 equal instants
        status: 'COMPLETED',
        patient: {
          id: `pt-w-${i}`,
          givenName: `Member${i}`,
          familyName: `Family${i}`,
          dateOfBirth: `1960-01-${String((i % 28) + 1).padStart(2, '0')}`,
          sex: 'F',
          ssn: SSN(i),
        },
      })),
      ...Array.from({ length: 10 }, (_, i) => ({
        id: `cr-w-stranger-${i}`,
        createdAt: new Date(DAY + i * 90_000).toISOString(),
        status: 'COMPLETED',
        patient: { id: `pt-w-stranger-${i}`, givenName: 'Zed', familyName: `Quill${i}`, dateOfBirth: '2001-03-03', sex: 'M' },
      })),
    ];
    const imported = await graph.post(admin, 'mutation($r: [CareRequestImportInput!]!) { importCareRequests(records: $r) { created } }', {
      r: records,
    });
    expect(imported.body.errors).toBeUndefined();

    const internalAuth = new InternalAuth(new TextEncoder().encode(graph.env.INTERNAL_AUTH_SECRET!));
    const urls: Record<string, string> = Object.fromEntries(Object.entries(graph.subgraphs).map(([name, s]) => [name, s.url]));
    const client = serviceClient({ name: 'partners', internalAuth, serviceUrl: (service) => urls[service] });
    deps = (owner, shouldStop) => ({
      prisma: graph.subgraphs.partners.database.client,
      transaction: graph.subgraphs.partners.database.directTransaction,
      clock: graph.subgraphs.partners.clock,
      callService: (service, document, variables, options) => {
        calls.push(service);
        return client.call(service, document, variables, options);
      },
      owner,
      leaseMs: 60_000,
      shouldStop,
    });
  });
  afterAll(() => graph?.close());

  const prisma = () => graph.subgraphs.partners.database.client;

  /** A run over the whole day as one partition, every earlier run finished. */
  async function newRun(batchSize: number) {
    await prisma().backfillRun.updateMany({ where: { status: 'RUNNING' }, data: { status: 'COMPLETED' } });
    await prisma().partnerAssociation.deleteMany({ where: { partnerId } });
    serial += 1;
    const backfillId = `bf-worker-${kind}-${serial}`;
    const window = { windowFrom: new Date(DAY), windowUntil: new Date(DAY + 86_400_000) };
    await prisma().backfillRun.create({
      data: {
        backfillId,
        partnerId,
        rosterId,
        ...window,
        batchSize,
        acceptGrades: ['CERTAIN', 'PROBABLE'],
        total: 40,
        partitions: { create: window },
      },
    });
    const settings = { rosterId, batchSize, acceptGrades: ['CERTAIN', 'PROBABLE'] as const };
    const associations = async () =>
      (await prisma().partnerAssociation.findMany({ where: { backfillId }, orderBy: { careRequestId: 'asc' } })).map(
        (a) => `${a.careRequestId}→${a.rosterPatientId}`,
      );
    const counts = () =>
      prisma().backfillRun.findUniqueOrThrow({
        where: { backfillId },
        select: { processed: true, matched: true, created: true, alreadyAssociated: true },
      });
    return { backfillId, settings, associations, counts };
  }

  it('works every page of the partition: each member associated once, strangers not, counts exact', async () => {
    const { settings, associations, counts } = await newRun(7);
    calls = [];
    const partition = await claimPartition(prisma(), 'runner-a', 60_000);
    expect(await processPartition(deps('runner-a'), settings, partition!)).toBe('done');
    const written = await associations();
    expect(written).toHaveLength(MEMBERS);
    expect(written.every((a) => a.startsWith('cr-w-') && !a.includes('stranger'))).toBe(true);
    expect(await counts()).toEqual({ processed: 40, matched: MEMBERS, created: MEMBERS, alreadyAssociated: 0 });
    // 40 care requests in pages of 7: 6 pages, each one care-requests read and one pop-health match.
    expect(calls.filter((c) => c === 'care-requests')).toHaveLength(6);
    expect(calls.filter((c) => c === 'pop-health')).toHaveLength(6);
    expect(await claimPartition(prisma(), 'runner-b', 60_000)).toBeNull(); // done: never handed out again
  });

  it('costs the same statements per page whatever the page size', async () => {
    const perPage = async (batchSize: number) => {
      const { settings } = await newRun(batchSize);
      const databases = (['care-requests', 'pop-health', 'partners'] as const).map((name) => graph.subgraphs[name].database);
      const before = databases.map((d) => d.queryCount());
      calls = [];
      const partition = await claimPartition(prisma(), 'runner-a', 60_000);
      await processPartition(deps('runner-a'), settings, partition!);
      const pages = calls.filter((c) => c === 'care-requests').length;
      return databases.map((d, i) => (d.queryCount() - before[i]) / pages);
    };
    const small = await perPage(4); // 10 pages
    const large = await perPage(40); // 1 page
    // care-requests: the page and its patients; pop-health: at most the roster and the matched members (the
    // index is in memory). One statement per care request would make the 40-row page cost ~40.
    for (const perPageCost of [...small.slice(0, 2), ...large.slice(0, 2)]) expect(perPageCost).toBeLessThanOrEqual(2);
    // partners: the page's transaction; the partition's release is spread over the pages, hence up to 1 apart.
    expect(Math.abs(small[2] - large[2])).toBeLessThanOrEqual(1);
  });

  it('stops at a page boundary and, resumed from its checkpoint by another instance, ends as an uninterrupted run', async () => {
    const uninterrupted = await newRun(5);
    await processPartition(deps('runner-a'), uninterrupted.settings, (await claimPartition(prisma(), 'runner-a', 60_000))!);
    const expected = await uninterrupted.associations();

    const interrupted = await newRun(5);
    let pages = 0;
    const partition = await claimPartition(prisma(), 'runner-a', 60_000);
    expect(
      await processPartition(
        deps('runner-a', async () => (pages += 1) > 3),
        interrupted.settings,
        partition!,
      ),
    ).toBe('stopped');
    expect((await interrupted.counts()).processed).toBe(15);
    const resumed = await claimPartition(prisma(), 'runner-b', 60_000);
    expect(resumed!.checkpoint).not.toBeNull();
    expect(await processPartition(deps('runner-b'), interrupted.settings, resumed!)).toBe('done');
    expect(await interrupted.associations()).toEqual(expected);
    expect(await interrupted.counts()).toEqual({ processed: 40, matched: MEMBERS, created: MEMBERS, alreadyAssociated: 0 });
  });
  it('two workers of one owner on one partition (its lease ran out and was claimed again): one goes on, the other stops, counts exact', async () => {
    const uninterrupted = await newRun(5);
    await processPartition(deps('runner-a'), uninterrupted.settings, (await claimPartition(prisma(), 'runner-a', 60_000))!);
    const expected = await uninterrupted.associations();

    const twice = await newRun(5);
    const partition = (await claimPartition(prisma(), 'runner-a', 60_000))!;
    // The second worker's write finds the partition moved past its page (PageAlreadyWritten), possibly while it
    // matches its next page: it must end as 'lease-lost', never as a rejection no one awaits.
    const outcomes = await Promise.all([
      processPartition(deps('runner-a'), twice.settings, { ...partition }),
      processPartition(deps('runner-a'), twice.settings, { ...partition }),
    ]);
    expect(outcomes.sort()).toEqual(['done', 'lease-lost']);
    expect(await twice.associations()).toEqual(expected);
    expect(await twice.counts()).toEqual({ processed: 40, matched: MEMBERS, created: MEMBERS, alreadyAssociated: 0 });
  });
});
