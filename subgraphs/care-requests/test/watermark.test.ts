/**
 * care-requests' write stamps and watermark on its own database, opened directly: the contract behind
 * `transactionTime` (every write stamped at or before it has committed) on PGlite and on PostgreSQL.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { computeWatermark, type Database, WatermarkClock, writeStamp } from '@care-graph/service-kit';
import { eventually } from '../../../scripts/eventually';
import { DATABASE_KINDS, freshPostgresDatabase } from '../../../scripts/in-process-graph';
import { openCareRequestsDatabase, type PrismaClient } from '../src/db';

let patients = 0;
/** Writes one patient in its own transaction, stamped with `writeStamp`; `during` runs before it commits. */
async function stampedWrite(
  prisma: PrismaClient,
  during: (stamp: Date) => Promise<void> = async () => undefined,
): Promise<{ id: string; stamp: Date }> {
  const id = `pt-${(patients += 1)}`;
  let stamp!: Date;
  await prisma.$transaction(
    async (tx) => {
      stamp = await writeStamp(tx);
      await tx.patient.create({
        data: { id, givenName: 'Ann', familyName: 'Lee', dateOfBirth: new Date('1950-06-05'), sex: 'F', lastUpdated: stamp },
      });
      await during(stamp);
    },
    { timeout: 30_000 },
  );
  return { id, stamp };
}

describe.each(DATABASE_KINDS)('write stamps and the watermark on %s', (kind) => {
  let dataDir: string;
  let database: Database<PrismaClient>;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'care-requests-watermark-'));
    let url = 'memory://';
    if (kind === 'postgresql') ({ url, drop } = await freshPostgresDatabase(process.env.TEST_POSTGRES_URL!, 'cg_care_requests_watermark'));
    database = await openCareRequestsDatabase({ url, dataDir });
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('stamps writes from the database clock in whole milliseconds, never going back', async () => {
    const stamps: number[] = [];
    for (let i = 0; i < 20; i += 1) stamps.push((await stampedWrite(database.client)).stamp.getTime());
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    const [{ now }] = await database.client.$queryRawUnsafe<{ now: Date }[]>('SELECT clock_timestamp() AS now');
    expect(stamps[stamps.length - 1]).toBeLessThanOrEqual(new Date(now).getTime());
  });

  it('reaches every committed write: once the watermark passes a stamp, the row is visible at it', async () => {
    const { id, stamp } = await stampedWrite(database.client);
    let watermark = new Date(0);
    await eventually('the watermark passes the stamp', async () => (watermark = await computeWatermark(database.client)) >= stamp, {
      intervalMs: 5,
    });
    const visible = await database.client.patient.findMany({ where: { id, lastUpdated: { lte: watermark } } });
    expect(visible.map((p) => p.id)).toEqual([id]);
  });

  if (kind === 'postgresql') {
    it('stays below the stamp of a writer that has not committed, however long it takes', async () => {
      const held: Date[] = [];
      const { stamp } = await stampedWrite(database.client, async (inFlight) => {
        // Other connections of the pool read the watermark while this writer is still open.
        for (let i = 0; i < 5; i += 1) held.push(await computeWatermark(database.client));
        expect(inFlight).toBeInstanceOf(Date);
      });
      for (const watermark of held) expect(watermark.getTime()).toBeLessThan(stamp.getTime());
      await eventually('the committed write is under the watermark', async () => (await computeWatermark(database.client)) >= stamp, {
        intervalMs: 5,
      });
    });
  } else {
    it('is the clock itself on one connection: a write stamped after a reading lands after it', async () => {
      const clock = new WatermarkClock(database.client, ['Patient'], { singleConnection: true });
      const watermark = await clock.compute();
      const { stamp } = await stampedWrite(database.client);
      expect(stamp.getTime()).toBeGreaterThan(watermark.getTime());
      expect(watermark.getTime()).toBeLessThan(Date.now());
    });
  }

  it('keeps each table’s high-water mark at its newest committed stamp', async () => {
    const clock = new WatermarkClock(database.client, ['Patient', 'DataLoad'], { singleConnection: kind === 'pglite' });
    await clock.refresh();
    const { stamp } = await stampedWrite(database.client);
    expect(clock.highWaterMark('Patient')).toBeLessThanOrEqual(stamp.getTime());
    await clock.refresh();
    expect(clock.highWaterMark('Patient')).toBe(stamp.getTime());
    expect(clock.highWaterMark('DataLoad')).toBe(-Infinity);
  });
});
