/**
 * The backfill lifecycle driver: pop-health's background work that moves each backfill through the steps
 * a request cannot wait for (transitions.ts has the table of statuses and phases):
 *
 *   INGESTING / WAITING_FOR_ROSTER  the roster READY → hand off; FAILED (or gone) → FAILED, saying why
 *   PENDING|INGESTING / HANDING_OFF  open the care-requests data load, then partners' startBackfillRun → RUNNING / MATCHING
 *   any / CANCELLING                 partners' cancelBackfillRun → CANCELLED with the run's final counts
 *   ended / NOTIFYING                finish the data load, send the email → DONE (notifiedAt)
 *
 * Every step is idempotent and guarded on the state it starts from, so a step repeated after a crash, or
 * raced by a request (a cancel during the hand-off), does no harm. A transient fault (a callee down or
 * slow) is recorded on the backfill (stepError, stepAttempts) and the step retried after an exponential
 * pause with full jitter; a permanent refusal ends the backfill FAILED with a sentence. The driver looks
 * for work every BACKFILL_POLL_MS, and at once when a request of this process wakes it.
 */
import path from 'node:path';
import { type CallService, careGraphMode, type Database, DEFAULT_PORTS, dataDir, type Logger, writeStamp } from '@care-graph/service-kit';
import type { PrismaClient } from '../db';
import { FinishDataLoadDocument, StartDataLoadDocument } from '../generated/calls/care-requests';
import { CancelBackfillRunDocument, type MatchGrade, PartnerNameDocument, StartBackfillRunDocument } from '../generated/calls/partners';
import type { Backfill as BackfillRow } from '../generated/prisma/client';
import { backfillWindow } from './backfill-request';
import { DEFAULT_MAIL_FROM, noticeSender, notifyList, recipients, type SendNotice } from './notify';
import { isConflict, permanentCode, retryDelayMs } from './step-faults';
import { NO_COUNTS, type RunCounts, recordFinish } from './transitions';

export interface LifecycleOptions {
  prisma: PrismaClient;
  callService: CallService;
  logger: Logger;
  send: SendNotice;
  /** BACKFILL_NOTIFY_EMAILS: who is told about every backfill besides its requester. */
  notifyList: readonly string[];
  /** Pause between looks for work when there is none (default 1000 ms). */
  pollMs?: number;
  random?: () => number;
  /**
   * Runs the idle look for work (one statement) outside what the database counts (Database.uncountedQuery);
   * default: through Prisma, counted.
   */
  idleQuery?: <Row>(sql: string, params?: unknown[]) => Promise<Row[]>;
  /**
   * Told as a backfill is handed to partners: the roster index may load the roster into the matcher now, while
   * partners counts the window and reads its first page, instead of on the first page's match.
   */
  prepareRoster?: (rosterId: string) => void;
}

export interface BackfillLifecycle {
  /** Looks for work now (a request of this process changed a backfill). */
  wake(): void;
  /** Stops after the step under way. */
  stop(): Promise<void>;
}

const drivers = new WeakMap<PrismaClient, BackfillLifecycle>();

/** Wakes the lifecycle driver running on `prisma`'s database in this process, if there is one. */
export function wakeBackfillLifecycle(prisma: PrismaClient): void {
  drivers.get(prisma)?.wake();
}

/** Backfills due for a step, oldest request first. */
const DUE_BATCH = 50;

/** Starts the driver; `stop` ends it. One per database in a process (a second replaces the first's wake-ups). */
export function startBackfillLifecycle(options: LifecycleOptions): BackfillLifecycle {
  const { prisma, logger } = options;
  const pollMs = options.pollMs ?? 1000;
  const random = options.random ?? Math.random;
  const idleQuery = options.idleQuery ?? (<Row>(sql: string, params: unknown[] = []) => prisma.$queryRawUnsafe<Row[]>(sql, ...params));
  let stopped = false;
  let woken = false;
  let wakeUp: (() => void) | null = null;

  const call: CallService = (service, document, variables, callOptions) => options.callService(service, document, variables, callOptions);

  /** Records a transient fault of `row`'s current step and when to try again (unless the row moved on). */
  async function deferStep(row: BackfillRow, error: Error): Promise<void> {
    const attempts = row.stepAttempts + 1;
    const retryAt = new Date(Date.now() + retryDelayMs(attempts, random));
    logger.warn('backfill step failed; retrying', { backfill: row.id, phase: row.phase, attempts, message: error.message });
    await prisma.$transaction(async (tx) => {
      const stamp = await writeStamp(tx);
      await tx.backfill.updateMany({
        where: { id: row.id, status: row.status, phase: row.phase },
        data: { stepError: error.message, stepAttempts: attempts, stepRetryAt: retryAt, lastUpdated: stamp },
      });
    });
  }

  /** Moves `row` from the state it was read in to `data`; false when something else moved it first. */
  async function advance(row: BackfillRow, data: Parameters<PrismaClient['backfill']['updateMany']>[0]['data']): Promise<boolean> {
    return prisma.$transaction(async (tx) => {
      const stamp = await writeStamp(tx);
      const { count } = await tx.backfill.updateMany({
        where: { id: row.id, status: row.status, phase: row.phase },
        data: { stepError: null, stepAttempts: 0, stepRetryAt: null, ...data, lastUpdated: stamp },
      });
      return count > 0;
    });
  }

  async function waitForRoster(row: BackfillRow): Promise<boolean> {
    const roster = await prisma.roster.findUnique({ where: { id: row.rosterId } });
    if (roster?.status === 'READY') return (await advance(row, { phase: 'HANDING_OFF' })) && handOff({ ...row, phase: 'HANDING_OFF' });
    if (roster && roster.status !== 'FAILED') return false;
    const reason = roster?.error ?? 'the roster is gone.';
    await recordFinish(
      prisma,
      row.id,
      'FAILED',
      NO_COUNTS,
      `The roster's ingestion failed: ${reason} Ingest the file again, then start a new backfill.`,
    );
    return true;
  }

  async function handOff(row: BackfillRow): Promise<boolean> {
    const roster = await prisma.roster.findUniqueOrThrow({ where: { id: row.rosterId } });
    options.prepareRoster?.(roster.id);
    if (!row.dataLoadId) {
      const { startDataLoad } = await call('care-requests', StartDataLoadDocument, {
        input: { kind: 'BACKFILL', source: roster.fileName, partnerId: row.partnerId },
      });
      // Guarded: a cancel that came first (it saw no data load, so no run can exist) wins; the load is closed empty.
      if (!(await advance(row, { dataLoadId: startDataLoad.id }))) {
        await call(
          'care-requests',
          FinishDataLoadDocument,
          { id: startDataLoad.id, status: 'COMPLETED', recordCount: 0 },
          { idempotent: true },
        );
        return true;
      }
    }
    const window = backfillWindow(row.startDate, row.endDate);
    try {
      await call(
        'partners',
        StartBackfillRunDocument,
        {
          input: {
            backfillId: row.id,
            partnerId: row.partnerId,
            rosterId: row.rosterId,
            window: { from: window.from.toISOString(), until: window.until.toISOString() },
            batchSize: row.batchSize,
            acceptGrades: row.acceptGrades as MatchGrade[],
            dryRun: row.dryRun,
          },
        },
        { idempotent: true },
      );
    } catch (error) {
      const code = permanentCode(error);
      if (!code) throw error;
      await recordFinish(prisma, row.id, 'FAILED', NO_COUNTS, `Partners refused to start the run (${code}): ${(error as Error).message}`);
      return true;
    }
    const started = await prisma.$transaction(async (tx) => {
      const stamp = await writeStamp(tx);
      const { count } = await tx.backfill.updateMany({
        where: { id: row.id, status: { in: ['PENDING', 'INGESTING'] }, phase: 'HANDING_OFF' },
        data: {
          status: 'RUNNING',
          phase: 'MATCHING',
          startedAt: stamp,
          stepError: null,
          stepAttempts: 0,
          stepRetryAt: null,
          lastUpdated: stamp,
        },
      });
      return count > 0;
    });
    if (started) return true;
    // A cancel came in while partners created the run: stop the run it just created.
    const fresh = await prisma.backfill.findUniqueOrThrow({ where: { id: row.id } });
    return fresh.phase === 'CANCELLING' ? cancelRun(fresh) : true;
  }

  async function cancelRun(row: BackfillRow): Promise<boolean> {
    let counts: RunCounts = NO_COUNTS;
    let error: string | null = null;
    try {
      const { cancelBackfillRun: run } = await call('partners', CancelBackfillRunDocument, { backfillId: row.id }, { idempotent: true });
      counts = {
        processed: run.processed,
        total: run.total ?? run.processed,
        matched: run.matched,
        created: run.created,
        alreadyAssociated: run.alreadyAssociated,
      };
    } catch (failure) {
      const code = permanentCode(failure);
      if (!code) throw failure;
      // NOT_FOUND: partners never created the run, so nothing was processed.
      if (code !== 'NOT_FOUND')
        error = `Partners refused to cancel the run (${code}): ${(failure as Error).message} The counts may be incomplete.`;
    }
    await recordFinish(prisma, row.id, 'CANCELLED', counts, error);
    return true;
  }

  async function notify(row: BackfillRow): Promise<boolean> {
    const counts = { ...NO_COUNTS, ...((row.reportedCounts as Partial<RunCounts> | null) ?? {}) };
    if (row.dataLoadId) {
      // A cancelled run's associations stay and are visible, so its load completed as far as integrators go.
      const status = row.status === 'FAILED' ? 'FAILED' : 'COMPLETED';
      try {
        await call(
          'care-requests',
          FinishDataLoadDocument,
          { id: row.dataLoadId, status, recordCount: counts.created },
          { idempotent: true },
        );
      } catch (error) {
        if (permanentCode(error) === 'NOT_FOUND')
          logger.warn('the data load of a backfill is gone', { backfill: row.id, dataLoad: row.dataLoadId });
        else if (!isConflict(error)) throw error; // CONFLICT: finished already (an earlier attempt got through)
      }
    }
    const to = recipients(row.requestedByEmail, options.notifyList);
    if (to.length) {
      const roster = await prisma.roster.findUnique({ where: { id: row.rosterId } });
      const { partner } = await call('partners', PartnerNameDocument, { id: row.partnerId });
      await options.send(
        {
          backfillId: row.id,
          partnerName: partner?.name ?? row.partnerId,
          rosterFileName: roster?.fileName ?? row.rosterId,
          startDate: row.startDate,
          endDate: row.endDate,
          status: row.status as 'COMPLETED' | 'FAILED' | 'CANCELLED',
          error: row.error,
          dryRun: row.dryRun,
          counts,
          requestedAt: row.requestedAt,
          startedAt: row.startedAt,
          finishedAt: row.finishedAt ?? new Date(),
          cancelledBy: row.cancelledBy,
        },
        to,
      );
      logger.info('sent the email about a finished backfill', { backfill: row.id, recipients: to.length });
    }
    await prisma.$transaction(async (tx) => {
      const stamp = await writeStamp(tx);
      await tx.backfill.updateMany({
        where: { id: row.id, phase: 'NOTIFYING' },
        data: { phase: 'DONE', notifiedAt: stamp, stepError: null, stepAttempts: 0, stepRetryAt: null, lastUpdated: stamp },
      });
    });
    return true;
  }

  function stepOf(row: BackfillRow): ((row: BackfillRow) => Promise<boolean>) | null {
    if (row.phase === 'NOTIFYING') return notify;
    if (row.phase === 'CANCELLING') return cancelRun;
    if (row.status === 'INGESTING' && row.phase === 'WAITING_FOR_ROSTER') return waitForRoster;
    if ((row.status === 'PENDING' || row.status === 'INGESTING') && row.phase === 'HANDING_OFF') return handOff;
    return null;
  }

  /** One pass over the backfills due for a step; whether any of them moved. */
  async function pass(): Promise<boolean> {
    // The idle look is one uncounted statement for ids; only backfills that are due are then read whole.
    const dueIds = await idleQuery<{ id: string }>(
      `SELECT id FROM "Backfill"
       WHERE (status IN ('PENDING', 'INGESTING') OR phase IN ('CANCELLING', 'NOTIFYING'))
         AND ("stepRetryAt" IS NULL OR "stepRetryAt" <= $1::timestamptz)
       ORDER BY "requestedAt" LIMIT ${DUE_BATCH}`,
      [new Date().toISOString()],
    );
    if (!dueIds.length) return false;
    const due = await prisma.backfill.findMany({ where: { id: { in: dueIds.map((row) => row.id) } }, orderBy: { requestedAt: 'asc' } });
    let moved = false;
    for (const row of due) {
      if (stopped) break;
      const step = stepOf(row);
      if (!step) continue;
      try {
        moved = (await step(row)) || moved;
      } catch (error) {
        await deferStep(row, error as Error).catch((failure: Error) =>
          logger.warn('could not record a backfill step fault', { backfill: row.id, message: failure.message }),
        );
      }
    }
    return moved;
  }

  const idle = () =>
    new Promise<void>((resolve) => {
      if (woken || stopped) return resolve();
      const timer = setTimeout(done, pollMs);
      function done() {
        clearTimeout(timer);
        wakeUp = null;
        resolve();
      }
      wakeUp = done;
    });

  const running = (async () => {
    while (!stopped) {
      woken = false;
      let moved = false;
      try {
        moved = await pass();
      } catch (error) {
        logger.warn('looking for backfill work failed', { message: (error as Error).message });
      }
      if (!moved && !stopped) await idle();
    }
  })();

  const lifecycle: BackfillLifecycle = {
    wake() {
      woken = true;
      wakeUp?.();
    },
    async stop() {
      stopped = true;
      wakeUp?.();
      await running;
      if (drivers.get(prisma) === lifecycle) drivers.delete(prisma);
    },
  };
  drivers.set(prisma, lifecycle);
  return lifecycle;
}

/** BACKFILL_POLL_MS: the driver's idle pause (default 1000). */
function pollMsOf(env: NodeJS.ProcessEnv): number {
  const value = env.BACKFILL_POLL_MS;
  if (value === undefined || value === '') return 1000;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 10)
    throw new Error(`BACKFILL_POLL_MS must be a whole number of milliseconds, at least 10; got "${value}".`);
  return ms;
}

/**
 * The driver as the service runs it, configured by the environment: BACKFILL_POLL_MS, BACKFILL_NOTIFY_EMAILS
 * (a malformed entry stops the service from starting), SMTP_URL (without it, messages go to
 * `<DATA_DIR>/outbox/`; in production mode that is warned about), MAIL_FROM, and GATEWAY_PUBLIC_URL
 * (the address in the email; default the gateway's local one).
 */
export function startBackfillLifecycleFromEnv(services: {
  client: PrismaClient;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  callService: CallService;
  /** The service's database, for its uncounted path. */
  database?: Pick<Database<PrismaClient>, 'uncountedQuery'>;
  prepareRoster?: LifecycleOptions['prepareRoster'];
}): BackfillLifecycle {
  const { env, logger } = services;
  const list = notifyList(env);
  if (!env.SMTP_URL && careGraphMode(env).mode === 'production') {
    logger.warn('SMTP_URL is not set: backfill emails are written to the outbox folder instead of being sent', {
      outbox: path.join(dataDir(env), 'outbox'),
    });
  }
  const send = noticeSender({
    smtpUrl: env.SMTP_URL || undefined,
    outboxDir: path.join(dataDir(env), 'outbox'),
    from: env.MAIL_FROM || DEFAULT_MAIL_FROM,
    gatewayUrl: env.GATEWAY_PUBLIC_URL || `http://localhost:${env.GATEWAY_PORT || DEFAULT_PORTS.gateway}`,
  });
  return startBackfillLifecycle({
    prisma: services.client,
    callService: services.callService,
    logger,
    send,
    notifyList: list,
    pollMs: pollMsOf(env),
    idleQuery: services.database?.uncountedQuery,
    prepareRoster: services.prepareRoster,
  });
}
