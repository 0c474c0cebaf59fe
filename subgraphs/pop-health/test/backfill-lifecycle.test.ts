/**
 * The backfill lifecycle driver against a real pop-health database and a faithful fake of the services it
 * calls: partners (startBackfillRun idempotent per backfill, cancelBackfillRun answering the final counts,
 * NOT_FOUND for a backfill without a run) and care-requests (data loads; a second finish is CONFLICT).
 * Emails go through a real SMTP server in-process (smtp-server) and are read back; the outbox is tested too.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type CallService, createLogger, ServiceCallError } from '@care-graph/service-kit';
import { SMTPServer } from 'smtp-server';
import { eventually } from '../../../scripts/eventually';
import { DATABASE_KINDS, freshPostgresDatabase } from '../../../scripts/in-process-graph';
import { type BackfillLifecycle, startBackfillLifecycle } from '../src/backfill-lifecycle/driver';
import { composeNotice, messageIdOf, noticeSender, notifyList, recipients, type SendNotice } from '../src/backfill-lifecycle/notify';
import { retryDelayMs } from '../src/backfill-lifecycle/step-faults';
import { recordFinish, requestCancel } from '../src/backfill-lifecycle/transitions';
import { openPopHealthDatabase, type PrismaClient } from '../src/db';
import { FinishDataLoadDocument, StartDataLoadDocument } from '../src/generated/calls/care-requests';
import { CancelBackfillRunDocument, PartnerNameDocument, StartBackfillRunDocument } from '../src/generated/calls/partners';
import type { Backfill as BackfillRow } from '../src/generated/prisma/client';

/** What a client may never see: the combinations the lifecycle rules out. */
function impossibleCombination(b: BackfillRow): string | null {
  if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(b.status) && !b.finishedAt) return `${b.status} without finishedAt`;
  if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(b.status) && !['CANCELLING', 'NOTIFYING', 'DONE'].includes(b.phase))
    return `${b.status} in ${b.phase}`;
  if (b.status === 'RUNNING' && (b.finishedAt || !b.startedAt)) return 'RUNNING with finishedAt or without startedAt';
  if (b.status === 'RUNNING' && !['MATCHING', 'CANCELLING'].includes(b.phase)) return `RUNNING in ${b.phase}`;
  if ((b.status === 'PENDING' || b.status === 'INGESTING') && (b.startedAt || b.finishedAt)) return `${b.status} with startedAt/finishedAt`;
  if (b.status === 'COMPLETED' && b.error) return 'COMPLETED with an error';
  if (b.phase === 'DONE' && !b.notifiedAt) return 'DONE without notifiedAt';
  return null;
}

/** A message as a person reads it: header lines unfolded, quoted-printable soft breaks and escapes undone. */
const readable = (message: string) =>
  message
    .replace(/\r\n/g, '\n')
    .replace(/=\n/g, '')
    .replace(/\n[ \t]+/g, ' ')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));

const refused = (service: string, code: string, message: string) =>
  new ServiceCallError(service, message, 200, [{ message, extensions: { code } }]);
const down = (service: string) => new ServiceCallError(service, `${service} could not be reached (connect ECONNREFUSED).`);

/** A fake of partners and care-requests that keeps to their contracts. */
function fakeServices() {
  const runs = new Map<
    string,
    { processed: number; total: number; matched: number; created: number; alreadyAssociated: number; status: string }
  >();
  const loads = new Map<string, { status: string; recordCount: number | null }>();
  const faults: { partners: Error[]; 'care-requests': Error[] } = { partners: [], 'care-requests': [] };
  const calls: string[] = [];
  const callService: CallService = async (service, document, variables) => {
    const v = variables as Record<string, never>;
    const fault = faults[service as 'partners'].shift();
    calls.push(`${service}:${(document.definitions[0] as { name?: { value: string } }).name?.value}`);
    if (fault) throw fault;
    if (document === (StartDataLoadDocument as unknown)) {
      const id = `load-${loads.size + 1}`;
      loads.set(id, { status: 'RUNNING', recordCount: null });
      return { startDataLoad: { id } } as never;
    }
    if (document === (FinishDataLoadDocument as unknown)) {
      const load = loads.get(v.id)!;
      if (load.status !== 'RUNNING') throw refused('care-requests', 'CONFLICT', `Data load ${v.id} already finished (${load.status}).`);
      Object.assign(load, { status: v.status, recordCount: v.recordCount });
      return { finishDataLoad: { id: v.id } } as never;
    }
    if (document === (StartBackfillRunDocument as unknown)) {
      const input = v.input as { backfillId: string; batchSize: number };
      if (!runs.has(input.backfillId))
        runs.set(input.backfillId, { processed: 0, total: 10, matched: 0, created: 0, alreadyAssociated: 0, status: 'RUNNING' });
      return { startBackfillRun: { id: input.backfillId } } as never;
    }
    if (document === (CancelBackfillRunDocument as unknown)) {
      const run = runs.get(v.backfillId);
      if (!run) throw refused('partners', 'NOT_FOUND', `No backfill run ${v.backfillId}.`);
      run.status = 'CANCELLED';
      const { status: _status, ...counts } = run;
      return { cancelBackfillRun: { id: v.backfillId, ...counts } } as never;
    }
    if (document === (PartnerNameDocument as unknown)) return { partner: { id: v.id, name: 'Aspen Health Plan' } } as never;
    throw new Error('unexpected call');
  };
  return { callService, runs, loads, faults, calls };
}

describe('backfill emails', () => {
  it('refuses a malformed BACKFILL_NOTIFY_EMAILS entry, naming it; reads good ones', () => {
    expect(notifyList({ BACKFILL_NOTIFY_EMAILS: ' ops@example.org, ,lead@example.org ' })).toEqual(['ops@example.org', 'lead@example.org']);
    expect(notifyList({})).toEqual([]);
    expect(() => notifyList({ BACKFILL_NOTIFY_EMAILS: 'ops@example.org,not-an-address' })).toThrow('"not-an-address"');
  });

  it('sends to the requester and the list once each', () => {
    expect(recipients('Ops@example.org', ['ops@example.org', 'b@example.org'])).toEqual(['Ops@example.org', 'b@example.org']);
    expect(recipients(null, [])).toEqual([]);
  });

  it('pauses exponentially from 500 ms up to 30 s with full jitter', () => {
    expect([1, 2, 3, 10].map((attempt) => retryDelayMs(attempt, () => 0.999999))).toEqual([499, 999, 1999, 29999]);
    expect(retryDelayMs(4, () => 0)).toBe(0);
  });
});

describe.each(DATABASE_KINDS)('the backfill lifecycle driver on %s', (kind) => {
  let prisma: PrismaClient;
  let close: () => Promise<void>;
  let outbox: string;
  let drop = async () => {};
  let smtp: SMTPServer;
  let smtpUrl: string;
  const received: string[] = [];

  beforeAll(async () => {
    let url = 'memory://';
    if (kind === 'postgresql') ({ url, drop } = await freshPostgresDatabase(process.env.TEST_POSTGRES_URL!, 'cg_backfill_lifecycle'));
    outbox = await mkdtemp(path.join(os.tmpdir(), 'care-graph-outbox-'));
    const database = await openPopHealthDatabase({ url, dataDir: outbox });
    prisma = database.client;
    close = database.close;
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, _session, done) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          received.push(Buffer.concat(chunks).toString());
          done();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => smtp?.close(() => resolve()));
    await close?.();
    await drop();
    await rm(outbox, { recursive: true, force: true });
  });

  let driver: BackfillLifecycle | undefined;
  afterEach(() => driver?.stop());

  let seq = 0;
  const roster = (status: 'READY' | 'INGESTING' = 'READY') =>
    prisma.roster.create({
      data: { partnerId: 'partner-1', kind: 'BACKFILL', fileName: 'aspen-2026.csv', contentHash: `h${++seq}${kind}`, status },
    });
  const backfill = (rosterId: string, data: Partial<BackfillRow> = {}) =>
    prisma.backfill.create({
      data: {
        partnerId: `partner-${++seq}`,
        rosterId,
        startDate: new Date('2026-01-01'),
        endDate: new Date('2026-01-31'),
        status: 'PENDING',
        phase: 'HANDING_OFF',
        requestedBy: 'test-admin',
        requestedByEmail: 'ada@example.org',
        lastUpdated: new Date(),
        ...(data as object),
      },
    });
  let passes = 0;
  const start = (services: ReturnType<typeof fakeServices>, send: SendNotice, list: string[] = []) => {
    driver = startBackfillLifecycle({
      prisma,
      callService: services.callService,
      logger: createLogger('test', { LOG_LEVEL: 'error' }),
      send,
      notifyList: list,
      pollMs: 20,
      idleQuery: (sql, params = []) => {
        passes += 1;
        return prisma.$queryRawUnsafe(sql, ...params);
      },
    });
    return driver;
  };
  /** Watches a backfill until `until` holds, checking every state seen on the way. */
  const watch = (id: string, until: (b: BackfillRow) => boolean) =>
    eventually(`backfill ${id} reaches the state`, async () => {
      const b = await prisma.backfill.findUniqueOrThrow({ where: { id } });
      expect({ id, impossible: impossibleCombination(b) }).toEqual({ id, impossible: null });
      return until(b) ? b : null;
    });
  const sent: { notice: Parameters<SendNotice>[0]; to: string[] }[] = [];
  const collect: SendNotice = async (notice, to) => void sent.push({ notice, to });

  it('hands a PENDING backfill to partners once: a data load, the run, RUNNING / MATCHING with startedAt', async () => {
    const services = fakeServices();
    const { id } = await backfill((await roster()).id, { acceptGrades: ['CERTAIN'], batchSize: 250, dryRun: true });
    start(services, collect);
    const running = await watch(id, (b) => b.status === 'RUNNING');
    expect(running).toMatchObject({ phase: 'MATCHING', dataLoadId: 'load-1', stepError: null, stepAttempts: 0 });
    expect(running.startedAt).toBeInstanceOf(Date);
    expect([...services.runs.keys()]).toEqual([id]);
    expect(services.calls.filter((c) => c.endsWith('StartBackfillRun'))).toHaveLength(1);
  });

  it('waits for an INGESTING roster: READY → RUNNING; FAILED → FAILED saying why', async () => {
    const services = fakeServices();
    const slow = await roster('INGESTING');
    const doomed = await roster('INGESTING');
    const a = await backfill(slow.id, { status: 'INGESTING', phase: 'WAITING_FOR_ROSTER' });
    const b = await backfill(doomed.id, { status: 'INGESTING', phase: 'WAITING_FOR_ROSTER' });
    start(services, collect);
    const seen = passes;
    await eventually('the driver looked for work three times', async () => passes >= seen + 3);
    expect((await prisma.backfill.findUniqueOrThrow({ where: { id: a.id } })).status).toBe('INGESTING');
    expect(services.runs.size).toBe(0);
    await prisma.roster.update({ where: { id: slow.id }, data: { status: 'READY' } });
    await prisma.roster.update({ where: { id: doomed.id }, data: { status: 'FAILED', error: 'aspen.csv is not a readable CSV file.' } });
    await watch(a.id, (x) => x.status === 'RUNNING');
    const failed = await watch(b.id, (x) => x.phase === 'DONE');
    expect(failed).toMatchObject({
      status: 'FAILED',
      error: expect.stringContaining("The roster's ingestion failed: aspen.csv is not a readable CSV file."),
    });
  });

  it('retries a transient fault with backoff, showing it (stepError, stepAttempts), then goes on', async () => {
    const services = fakeServices();
    services.faults.partners.push(down('partners'), down('partners'));
    const { id } = await backfill((await roster()).id);
    start(services, collect);
    const retrying = await watch(id, (b) => b.stepAttempts >= 1);
    expect(retrying.stepError).toContain('partners could not be reached');
    expect(retrying.status).toBe('PENDING');
    const running = await watch(id, (b) => b.status === 'RUNNING');
    expect(running).toMatchObject({ stepError: null, stepAttempts: 0 });
    expect(services.loads.size).toBe(1); // the data load opened once, whatever the retries
  });

  it('fails a backfill partners refuses (BAD_USER_INPUT), with a sentence, and finishes its data load FAILED', async () => {
    const services = fakeServices();
    services.faults.partners.push(refused('partners', 'BAD_USER_INPUT', 'Roster r-1 is not a roster of partner p-1.'));
    const { id } = await backfill((await roster()).id);
    start(services, collect);
    const failed = await watch(id, (b) => b.phase === 'DONE');
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toBe('Partners refused to start the run (BAD_USER_INPUT): Roster r-1 is not a roster of partner p-1.');
    expect(services.loads.get(failed.dataLoadId!)).toEqual({ status: 'FAILED', recordCount: 0 });
  });

  it('cancels a RUNNING backfill through partners (retried while partners is down), with the final counts in the email', async () => {
    const services = fakeServices();
    const { id } = await backfill((await roster()).id);
    start(services, collect);
    await watch(id, (b) => b.status === 'RUNNING');
    Object.assign(services.runs.get(id)!, { processed: 4, matched: 3, created: 2, alreadyAssociated: 1 });
    services.faults.partners.push(down('partners'));
    const cancelling = await requestCancel(prisma, id, { subject: 'test-admin', role: 'admin' });
    expect(cancelling).toMatchObject({ status: 'RUNNING', phase: 'CANCELLING', cancelledBy: 'test-admin' });
    driver!.wake();
    const done = await watch(id, (b) => b.phase === 'DONE');
    expect(done).toMatchObject({
      status: 'CANCELLED',
      reportedCounts: { processed: 4, total: 10, matched: 3, created: 2, alreadyAssociated: 1 },
    });
    expect(services.runs.get(id)!.status).toBe('CANCELLED');
    expect(services.loads.get(done.dataLoadId!)).toEqual({ status: 'COMPLETED', recordCount: 2 });
    const email = sent.find((s) => s.notice.backfillId === id)!;
    expect(email.to).toEqual(['ada@example.org']);
    expect(email.notice).toMatchObject({
      status: 'CANCELLED',
      partnerName: 'Aspen Health Plan',
      rosterFileName: 'aspen-2026.csv',
      cancelledBy: 'test-admin',
    });
  });

  it('a cancel that comes while partners creates the run wins: the driver stops the run it created', async () => {
    const services = fakeServices();
    const { id } = await backfill((await roster()).id);
    const original = services.callService;
    services.callService = (async (service, document, variables, options) => {
      const answer = await original(service, document, variables, options);
      if (document === (StartBackfillRunDocument as unknown)) await requestCancel(prisma, id, { subject: 'test-admin', role: 'admin' });
      return answer;
    }) as CallService;
    start(services, collect);
    const done = await watch(id, (b) => b.phase === 'DONE');
    expect(done.status).toBe('CANCELLED');
    expect(services.runs.get(id)!.status).toBe('CANCELLED');
  });

  it('finishes once: a repeated finishBackfill changes nothing, the data load is finished once, one email', async () => {
    const services = fakeServices();
    const { id } = await backfill((await roster()).id);
    start(services, collect);
    await watch(id, (b) => b.status === 'RUNNING');
    const counts = { processed: 10, total: 10, matched: 7, created: 6, alreadyAssociated: 1 };
    const first = await recordFinish(prisma, id, 'COMPLETED', counts, null);
    const again = await recordFinish(prisma, id, 'FAILED', { ...counts, created: 0 }, 'late');
    expect(again).toEqual(first);
    driver!.wake();
    const done = await watch(id, (b) => b.phase === 'DONE');
    expect(done).toMatchObject({ status: 'COMPLETED', error: null, reportedCounts: counts });
    expect(await recordFinish(prisma, id, 'COMPLETED', counts, null)).toEqual(done);
    expect(services.calls.filter((c) => c.endsWith('FinishDataLoad'))).toHaveLength(1);
    expect(sent.filter((s) => s.notice.backfillId === id)).toHaveLength(1);
  });

  it('takes a finished data load (CONFLICT) as done, and marks DONE without an email when there is nobody to tell', async () => {
    const services = fakeServices();
    const { id } = await backfill((await roster()).id, { requestedByEmail: null });
    start(services, collect);
    const running = await watch(id, (b) => b.status === 'RUNNING');
    services.loads.get(running.dataLoadId!)!.status = 'COMPLETED';
    await recordFinish(prisma, id, 'COMPLETED', { processed: 10, total: 10, matched: 0, created: 0, alreadyAssociated: 0 }, null);
    driver!.wake();
    const done = await watch(id, (b) => b.phase === 'DONE');
    expect(done.notifiedAt).toBeInstanceOf(Date);
    expect(sent.filter((s) => s.notice.backfillId === id)).toHaveLength(0);
  });

  it('cancels a PENDING backfill not yet handed off at once (CANCELLED, nothing counted), and refuses to cancel it again', async () => {
    const { id } = await backfill((await roster()).id);
    const cancelled = await requestCancel(prisma, id, { subject: 'test-admin', role: 'admin' });
    expect(cancelled).toMatchObject({ status: 'CANCELLED', phase: 'NOTIFYING', cancelledBy: 'test-admin' });
    expect(impossibleCombination(cancelled)).toBeNull();
    await expect(requestCancel(prisma, id, { subject: 'test-admin', role: 'admin' })).rejects.toMatchObject({
      extensions: { code: 'CONFLICT', backfillId: id },
    });
    const services = fakeServices();
    start(services, collect);
    await watch(id, (b) => b.phase === 'DONE');
    expect(services.runs.size).toBe(0);
  });

  it('emails over SMTP: the message read back from a real SMTP server, one per backfill whatever the retries', async () => {
    const services = fakeServices();
    const { id } = await backfill((await roster()).id);
    const smtpSend = noticeSender({
      smtpUrl,
      outboxDir: outbox,
      from: 'Care Graph <care-graph@localhost>',
      gatewayUrl: 'http://localhost:4000',
    });
    let failOnce = true;
    const flaky: SendNotice = async (notice, to) => {
      if (failOnce) {
        failOnce = false;
        throw new Error('451 try again later');
      }
      await smtpSend(notice, to);
    };
    start(services, flaky, ['ops@example.org']);
    await watch(id, (b) => b.status === 'RUNNING');
    await recordFinish(prisma, id, 'COMPLETED', { processed: 1200, total: 1200, matched: 800, created: 750, alreadyAssociated: 50 }, null);
    driver!.wake();
    await watch(id, (b) => b.phase === 'DONE');
    const messages = received.map(readable).filter((m) => m.includes(messageIdOf(id)));
    expect(messages).toHaveLength(1);
    const [message] = messages;
    expect(message).toContain('To: ada@example.org, ops@example.org');
    expect(message).toContain('Subject: Backfill completed: Aspen Health Plan, aspen-2026.csv, 2026-01-01 to 2026-01-31');
    expect(message).toContain('Processed:          1,200 of 1,200 care requests');
    expect(message).toContain('Created:            750 associations');
    expect(message).toContain('Already associated: 50');
    expect(message).toContain('http://localhost:4000/admin');
    expect(message).toContain(`backfill(id: "${id}")`);
  });

  it('writes the email to the outbox in embedded mode, one file per backfill whatever the retries', async () => {
    const dir = path.join(outbox, 'outbox');
    const send = noticeSender({ outboxDir: dir, from: 'Care Graph <care-graph@localhost>', gatewayUrl: 'http://localhost:4000' });
    const notice = {
      backfillId: 'b-outbox',
      partnerName: 'Aspen Health Plan',
      rosterFileName: 'aspen-2026.csv',
      startDate: new Date('2026-01-01'),
      endDate: new Date('2026-01-31'),
      status: 'FAILED' as const,
      error: 'care-requests refused the page (BAD_USER_INPUT): the window is too wide.',
      dryRun: false,
      counts: { processed: 500, total: 1000, matched: 400, created: 400, alreadyAssociated: 0 },
      requestedAt: new Date('2026-02-01T10:00:00Z'),
      startedAt: new Date('2026-02-01T10:00:01Z'),
      finishedAt: new Date('2026-02-01T10:02:31Z'),
      cancelledBy: null,
    };
    await send(notice, ['ada@example.org']);
    await send(notice, ['ada@example.org']);
    expect(await readdir(dir)).toEqual(['b-outbox.eml']);
    const eml = readable(await readFile(path.join(dir, 'b-outbox.eml'), 'utf8'));
    expect(eml).toContain(`Message-ID: ${messageIdOf('b-outbox')}`);
    expect(eml).toContain('Error:              care-requests refused the page (BAD_USER_INPUT): the window is too wide.');
    expect(composeNotice(notice, 'http://localhost:4000/').text).toContain('Duration:           2 min 30 s');
  });
});
