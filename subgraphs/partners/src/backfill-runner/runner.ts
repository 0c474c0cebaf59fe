/**
 * The backfill runner of one partners instance (started from the subgraph's `background`). It keeps
 * BACKFILL_CONCURRENCY slots; each claims a partition (leases.ts), works it (partition-worker.ts) and, when
 * the partition is done, completes the run if no partition of it is left — one guarded UPDATE, so of several
 * instances finishing the last partitions together exactly one completes it. Beside the slots, a reporter
 * tells pop-health (`finishBackfill`) the outcome of every finished run not yet acknowledged — retried with
 * backoff until it answers, also after a restart, since the acknowledgement is stamped in the run.
 *
 * Faults of a partition's work:
 *   - transient (a callee down, slow or answering 5xx, the database): the run records `lastError` and
 *     `attempts`, and the partition is released with a `retryAt` (exponential backoff, 500 ms to 30 s, full
 *     jitter), so no instance claims it before then; the next page written clears the fault;
 *   - permanent (a callee refused with BAD_USER_INPUT, NOT_FOUND or FORBIDDEN): the run FAILS with `error`,
 *     a sentence an admin can act on, and is reported as a completed one is.
 * Everything the runner logs names runs, partitions and instances, never a patient.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import {
  type CallService,
  type EventBus,
  integerSetting,
  type Logger,
  ServiceCallError,
  switchSetting,
  type WatermarkClock,
} from '@care-graph/service-kit';
import type { PrismaClient } from '../db';
import { FinishBackfillDocument } from '../generated/calls/pop-health';
import type { BackfillRun } from '../generated/prisma/client';
import { claimPartition, type LeasedPartition, type RawQueryClient, releaseForRetry, releasePartition } from './leases';
import type { DirectTransaction } from './page-writer';
import { type PartitionOutcome, processPartition } from './partition-worker';
import { deriveProgress } from './progress';
import { publishProgress } from './progress-events';

/** The runner's settings, from the environment (documented in docs/backfill-runner.md). */
export interface RunnerSettings {
  /** BACKFILL_RUNNER: on (default) or off (this instance serves the API but works no partition). */
  enabled: boolean;
  /** BACKFILL_CONCURRENCY: partitions this instance works at once (default 2). */
  concurrency: number;
  /** BACKFILL_PARTITION_SIZE: care requests per partition when a run is split (default 100,000; at most 64 partitions). */
  partitionSize: number;
  /** BACKFILL_LEASE_MS: how long a claim holds a partition without renewal (default 30,000). */
  leaseMs: number;
  /** BACKFILL_POLL_MS: how often an idle runner looks for work (default 1,000). */
  pollMs: number;
}

/** The runner's settings from `env`; throws a sentence naming the setting when one is malformed. */
export function runnerSettings(env: NodeJS.ProcessEnv): RunnerSettings {
  return {
    enabled: switchSetting(env, 'BACKFILL_RUNNER', true),
    concurrency: integerSetting(env, 'BACKFILL_CONCURRENCY', 2, 1, 64),
    partitionSize: integerSetting(env, 'BACKFILL_PARTITION_SIZE', 100_000, 1, 100_000_000),
    leaseMs: integerSetting(env, 'BACKFILL_LEASE_MS', 30_000, 1_000, 3_600_000),
    pollMs: integerSetting(env, 'BACKFILL_POLL_MS', 1_000, 10, 600_000),
  };
}

export interface RunnerDeps {
  prisma: PrismaClient;
  /** The database's direct path, for the page transactions (page-writer.ts). */
  transaction: DirectTransaction;
  clock: WatermarkClock;
  callService: CallService;
  logger: Logger;
  /**
   * Runs one statement of the idle path (claims, the outcome poll) outside the per-request statement counts.
   * Not through Prisma: its client dispatches the calls made in one tick together, under the async context of
   * the first, so an uncounted poll and a request's statement would be counted as each other's.
   */
  idleQuery: <Row>(sql: string, params: unknown[]) => Promise<Row[]>;
  settings: RunnerSettings;
  /** The service's event bus, that progress events go out on. */
  events: EventBus;
  /** The lease owner's name (default `${hostname}:${pid}:${random}`). */
  owner?: string;
}

export interface BackfillRunner {
  owner: string;
  /** Looks for work now instead of at the next poll (a run was just started). */
  wake(): void;
  /** Waits for the pages being written to end, releases the leases, and stops. */
  stop(): Promise<void>;
}

/** Error codes with which a callee refuses for good: repeating the call cannot help. */
const PERMANENT_CODES: ReadonlySet<string> = new Set(['BAD_USER_INPUT', 'NOT_FOUND', 'FORBIDDEN']);
const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;

/** Full-jitter exponential backoff of the `attempt`-th retry (1-based): uniform in [0, min(30 s, 500 ms × 2^(attempt−1))]. */
function backoffMs(attempt: number, random: () => number = Math.random): number {
  return Math.round(random() * Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.max(0, attempt - 1)));
}

/** What the callee refused, as the admin reads it in `error`. */
const REFUSED: Record<string, string> = { 'pop-health': 'the roster', 'care-requests': 'the window' };

/** The sentence of a permanent fault, or null for a transient one (retried). */
function permanentFault(error: unknown): string | null {
  if (!(error instanceof ServiceCallError)) return null;
  const refusal = error.errors.find((e) => e.extensions?.code && PERMANENT_CODES.has(e.extensions.code));
  if (!refusal) return null;
  return `${error.service} refused ${REFUSED[error.service] ?? 'the request'}: ${refusal.message}`;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

type RunState = Pick<BackfillRun, 'backfillId' | 'status' | 'total' | 'processed' | 'matched' | 'created' | 'alreadyAssociated'>;

/** What a progress event and the finish log line say of a run. */
function runState(run: RunState): RunState {
  const { backfillId, status, total, processed, matched, created, alreadyAssociated } = run;
  return { backfillId, status, total, processed, matched, created, alreadyAssociated };
}

/** Publishes the state of `run` as a progress event on `events` (terminal ones at once). */
export function publishRun(events: EventBus, run: RunState & Pick<BackfillRun, 'firstPageAt'>) {
  const { percent, etaSeconds } = deriveProgress(run);
  publishProgress(events, { ...runState(run), percent, etaSeconds, at: new Date() });
}

const runners = new WeakMap<object, BackfillRunner>();
const configured = new WeakMap<object, RunnerSettings>();

/** Records the settings of the instance serving `prisma`'s database (its `background` reads them from its env). */
export function configureBackfills(prisma: PrismaClient, settings: RunnerSettings): void {
  configured.set(prisma, settings);
}

/** The settings of the instance serving `prisma`'s database (the process environment's when none were recorded). */
export function backfillSettings(prisma: PrismaClient): RunnerSettings {
  return configured.get(prisma) ?? runnerSettings(process.env);
}

/** Wakes the runner working on `prisma`'s database in this process, if there is one. */
export function wakeRunner(prisma: PrismaClient): void {
  runners.get(prisma)?.wake();
}

/** Starts the runner (see the file's comment). */
export function startBackfillRunner(deps: RunnerDeps): BackfillRunner {
  const { prisma, logger, settings } = deps;
  const owner = deps.owner ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const idleClient: RawQueryClient = {
    $queryRawUnsafe: ((sql: string, ...values: unknown[]) => deps.idleQuery(sql, values)) as RawQueryClient['$queryRawUnsafe'],
  };
  let stopping = false;
  const sleepers = new Set<() => void>();
  /** Resolves after `ms`, or at once on wake/stop. */
  const idle = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      sleepers.add(done);
    });
  const wakeAll = () => {
    for (const wake of [...sleepers]) wake();
  };

  /** When each unacknowledged outcome may be reported next (backoff of failed reports), by backfill. */
  const reportRetries = new Map<string, { attempts: number; at: number }>();

  async function reportOutcomes(): Promise<number> {
    const due = await deps.idleQuery<
      Pick<
        BackfillRun,
        'backfillId' | 'status' | 'error' | 'processed' | 'total' | 'matched' | 'created' | 'alreadyAssociated' | 'firstPageAt'
      >
    >(
      `SELECT "backfillId", status::text AS status, error, processed, total, matched, created, "alreadyAssociated", "firstPageAt" FROM "BackfillRun"
       WHERE status IN ('COMPLETED', 'FAILED') AND "outcomeReportedAt" IS NULL ORDER BY "finishedAt" LIMIT 100`,
      [],
    );
    let next = settings.pollMs;
    for (const run of due) {
      if (stopping) break;
      const retry = reportRetries.get(run.backfillId);
      if (retry && retry.at > Date.now()) {
        next = Math.min(next, retry.at - Date.now());
        continue;
      }
      try {
        await deps.callService(
          'pop-health',
          FinishBackfillDocument,
          {
            input: {
              backfillId: run.backfillId,
              outcome: run.status as 'COMPLETED' | 'FAILED',
              error: run.error,
              processed: run.processed,
              total: run.total,
              matched: run.matched,
              created: run.created,
              alreadyAssociated: run.alreadyAssociated,
            },
          },
          { idempotent: true },
        );
        await deps.idleQuery(
          `UPDATE "BackfillRun" SET "outcomeReportedAt" = clock_timestamp() WHERE "backfillId" = $1 AND "outcomeReportedAt" IS NULL`,
          [run.backfillId],
        );
        reportRetries.delete(run.backfillId);
        // The terminal progress event goes out once pop-health has recorded the outcome, so that a subscriber
        // joining the backfill's own status on it (through the gateway) reads the same outcome.
        publishRun(deps.events, { ...run, firstPageAt: run.firstPageAt && new Date(run.firstPageAt) });
        logger.info('reported backfill outcome', { backfillId: run.backfillId, outcome: run.status });
      } catch (error) {
        const attempts = (retry?.attempts ?? 0) + 1;
        const delay = Math.max(FIRST_BACKOFF_MS / 5, backoffMs(attempts));
        reportRetries.set(run.backfillId, { attempts, at: Date.now() + delay });
        next = Math.min(next, delay);
        // A refusal is logged louder (pop-health does not know the backfill?), but the outcome is kept and
        // offered again: it must never be lost.
        (permanentFault(error) ? logger.error : logger.warn)('backfill outcome not acknowledged; retrying', {
          backfillId: run.backfillId,
          attempts,
          retryInMs: delay,
          message: messageOf(error),
        });
      }
    }
    return next;
  }

  async function finishRun(run: BackfillRun) {
    logger.info('finished backfill run', {
      ...runState(run),
      ms: run.finishedAt && run.createdAt ? run.finishedAt.getTime() - run.createdAt.getTime() : null,
    });
    wakeReporter();
  }

  async function tryComplete(backfillId: string) {
    const [completed] = await prisma.$queryRawUnsafe<BackfillRun[]>(
      `UPDATE "BackfillRun" r SET status = 'COMPLETED', "finishedAt" = clock_timestamp(), "lastError" = NULL, attempts = 0
       WHERE r."backfillId" = $1 AND r.status = 'RUNNING'
         AND NOT EXISTS (SELECT 1 FROM "BackfillPartition" p WHERE p."backfillId" = r."backfillId" AND NOT p.done)
       RETURNING *`,
      backfillId,
    );
    if (completed) await finishRun(completed);
  }

  async function onFault(partition: LeasedPartition, error: unknown) {
    const refusal = permanentFault(error);
    if (refusal) {
      const [failed] = await prisma.$queryRawUnsafe<BackfillRun[]>(
        `UPDATE "BackfillRun" SET status = 'FAILED', error = $2, "finishedAt" = clock_timestamp()
         WHERE "backfillId" = $1 AND status = 'RUNNING' RETURNING *`,
        partition.backfillId,
        refusal,
      );
      await releasePartition(prisma, partition.id, owner, false);
      if (failed) {
        logger.error('backfill run failed', { backfillId: partition.backfillId, partitionId: partition.id, owner, error: refusal });
        await finishRun(failed);
      }
      return;
    }
    const message = messageOf(error);
    const [run] = await prisma.$queryRawUnsafe<{ attempts: number }[]>(
      `UPDATE "BackfillRun" SET "lastError" = $2, attempts = attempts + 1 WHERE "backfillId" = $1 AND status = 'RUNNING' RETURNING attempts`,
      partition.backfillId,
      message,
    );
    const retryInMs = backoffMs(run?.attempts ?? 1);
    await releaseForRetry(prisma, partition.id, owner, retryInMs);
    logger.warn('backfill partition fault; retrying', {
      backfillId: partition.backfillId,
      partitionId: partition.id,
      owner,
      attempts: run?.attempts ?? null,
      retryInMs,
      message,
    });
  }

  async function work(partition: LeasedPartition) {
    logger.info('claimed backfill partition', { owner, partitionId: partition.id, backfillId: partition.backfillId });
    let outcome: PartitionOutcome;
    try {
      const run = await prisma.backfillRun.findUniqueOrThrow({ where: { backfillId: partition.backfillId } });
      outcome = await processPartition(
        {
          prisma,
          transaction: deps.transaction,
          clock: deps.clock,
          callService: deps.callService,
          owner,
          leaseMs: settings.leaseMs,
          shouldStop: async () => stopping,
          onPage: (after) => publishRun(deps.events, after),
        },
        { rosterId: run.rosterId, batchSize: run.batchSize, acceptGrades: run.acceptGrades },
        partition,
      );
    } catch (error) {
      await onFault(partition, error);
      return;
    }
    if (outcome === 'done') await tryComplete(partition.backfillId);
  }

  async function slot() {
    while (!stopping) {
      try {
        const partition = await claimPartition(idleClient, owner, settings.leaseMs);
        if (partition) await work(partition);
        else await idle(settings.pollMs);
      } catch (error) {
        // The database itself failing (restarting, a lost connection): look again at the next poll.
        logger.warn('backfill runner fault', { owner, message: messageOf(error) });
        await idle(settings.pollMs);
      }
    }
  }

  let reporterWake: (() => void) | null = null;
  const wakeReporter = () => reporterWake?.();
  async function reporter() {
    while (!stopping) {
      let next = settings.pollMs;
      try {
        next = await reportOutcomes();
      } catch (error) {
        logger.warn('backfill outcome report fault', { owner, message: messageOf(error) });
      }
      if (stopping) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, next);
        function done() {
          clearTimeout(timer);
          sleepers.delete(done);
          reporterWake = null;
          resolve();
        }
        reporterWake = done;
        sleepers.add(done);
      });
    }
  }

  const tasks = [...Array.from({ length: settings.concurrency }, slot), reporter()];
  const runner: BackfillRunner = {
    owner,
    wake: wakeAll,
    async stop() {
      stopping = true;
      wakeAll();
      await Promise.all(tasks);
      runners.delete(prisma);
    },
  };
  runners.set(prisma, runner);
  logger.info('backfill runner started', { owner, concurrency: settings.concurrency, leaseMs: settings.leaseMs, pollMs: settings.pollMs });
  return runner;
}
