/**
 * Partition leases: concurrent claimers each take a different partition, a live lease is never taken, an
 * expired one is taken over, renewals and releases work only for the holder.
 */
import { DATABASE_KINDS, type Graph, startGraph } from '../../../scripts/in-process-graph';
import { claimPartition, releasePartition, renewLease } from '../src/backfill-runner/leases';

describe.each(DATABASE_KINDS)('partition leases on %s', (kind) => {
  let graph: Graph;
  let serial = 0;
  beforeAll(async () => {
    graph = await startGraph(kind, { env: { BACKFILL_RUNNER: 'off' } });
  });
  afterAll(() => graph?.close());
  const prisma = () => graph.subgraphs.partners.database.client;

  /** A fresh run of `count` partitions (a day each); every earlier run is finished so claims see only this one. */
  async function runWith(count: number, status: 'RUNNING' | 'CANCELLED' = 'RUNNING') {
    await prisma().backfillRun.updateMany({ where: { status: 'RUNNING' }, data: { status: 'COMPLETED' } });
    serial += 1;
    const backfillId = `lease-${kind}-${serial}`;
    const day = (i: number) => new Date(Date.UTC(2026, 0, 1 + i));
    await prisma().backfillRun.create({
      data: {
        backfillId,
        partnerId: 'p',
        rosterId: 'r',
        windowFrom: day(0),
        windowUntil: day(count),
        batchSize: 100,
        acceptGrades: ['CERTAIN'],
        total: 0,
        status,
        partitions: { create: Array.from({ length: count }, (_, i) => ({ windowFrom: day(i), windowUntil: day(i + 1) })) },
      },
    });
    return backfillId;
  }

  it('gives concurrent claimers different partitions, and none once all are leased', async () => {
    await runWith(12);
    const claims = await Promise.all(Array.from({ length: 12 }, (_, i) => claimPartition(prisma(), `runner-${i}`, 60_000)));
    const ids = claims.map((c) => c?.id);
    expect(ids.every(Boolean)).toBe(true);
    expect(new Set(ids).size).toBe(12);
    expect(await claimPartition(prisma(), 'late-runner', 60_000)).toBeNull();
  });

  it('takes over an expired lease from its checkpoint, and the old holder can neither renew nor release it', async () => {
    await runWith(1);
    const first = await claimPartition(prisma(), 'runner-a', 60_000);
    await prisma().backfillPartition.update({
      where: { id: first!.id },
      data: { checkpoint: 'cursor-7', leaseExpiresAt: new Date(Date.now() - 1_000) }, // runner-a died a while ago
    });
    const taken = await claimPartition(prisma(), 'runner-b', 60_000);
    expect(taken).toMatchObject({ id: first!.id, checkpoint: 'cursor-7' });
    expect(await renewLease(prisma(), first!.id, 'runner-a', 60_000)).toBe(false);
    expect(await releasePartition(prisma(), first!.id, 'runner-a', true)).toBe(false);
    expect(await renewLease(prisma(), first!.id, 'runner-b', 60_000)).toBe(true);
  });

  it('renews for the holder and, once released done, never hands the partition out again', async () => {
    await runWith(2);
    const claimed = await claimPartition(prisma(), 'runner-a', 60_000);
    const before = claimed!.leaseExpiresAt.getTime();
    expect(await renewLease(prisma(), claimed!.id, 'runner-a', 120_000)).toBe(true);
    const renewed = await prisma().backfillPartition.findUniqueOrThrow({ where: { id: claimed!.id } });
    expect(renewed.leaseExpiresAt!.getTime()).toBeGreaterThan(before);
    expect(await releasePartition(prisma(), claimed!.id, 'runner-a', true)).toBe(true);
    const next = await claimPartition(prisma(), 'runner-b', 60_000);
    expect(next!.id).not.toBe(claimed!.id);
    expect(await releasePartition(prisma(), next!.id, 'runner-b', false)).toBe(true); // not done: claimable again
    expect((await claimPartition(prisma(), 'runner-c', 60_000))!.id).toBe(next!.id);
    expect(await claimPartition(prisma(), 'runner-d', 60_000)).toBeNull();
  });

  it('hands out no partition of a run that is not running', async () => {
    await runWith(3, 'CANCELLED');
    expect(await claimPartition(prisma(), 'runner-a', 60_000)).toBeNull();
  });
});
