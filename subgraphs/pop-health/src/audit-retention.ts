/**
 * How long the audit log keeps its records: `AUDIT_RETENTION_DAYS` (default 2190, six years — HIPAA's retention
 * of required documentation, 45 CFR 164.316(b)(2)). pop-health removes older records when it starts and then
 * every hour; several replicas may prune at once (a delete of what is already gone removes nothing).
 */
import { integerSetting, type Logger } from '@care-graph/service-kit';
import type { PrismaClient } from './db';

const DAY_MS = 24 * 3600_000;
const DEFAULT_AUDIT_RETENTION_DAYS = 2190;
const PRUNE_INTERVAL_MS = 3600_000;

/** `AUDIT_RETENTION_DAYS` of `env`: a whole number of days, at least 1; throws naming the setting otherwise. */
export function auditRetentionDays(env: NodeJS.ProcessEnv): number {
  return integerSetting(env, 'AUDIT_RETENTION_DAYS', DEFAULT_AUDIT_RETENTION_DAYS, 1, 100_000);
}

/** Removes the audit records recorded more than `retentionDays` before `now`; answers how many. */
export async function pruneAuditEvents(prisma: PrismaClient, retentionDays: number, now: Date): Promise<number> {
  const { count } = await prisma.auditEvent.deleteMany({
    where: { lastUpdated: { lt: new Date(now.getTime() - retentionDays * DAY_MS) } },
  });
  return count;
}

/**
 * Prunes at once and then hourly (the timer never keeps the process alive). Throws at once on a malformed
 * `AUDIT_RETENTION_DAYS`, so the service refuses to start. Returns how to stop, waiting for a prune under way.
 */
export function pruneAuditEventsPeriodically({
  client,
  logger,
  env,
  now = () => new Date(),
}: {
  client: PrismaClient;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  now?: () => Date;
}): () => Promise<void> {
  const retentionDays = auditRetentionDays(env);
  let pruning: Promise<void> = Promise.resolve();
  const prune = () => {
    pruning = pruning
      .then(async () => {
        const removed = await pruneAuditEvents(client, retentionDays, now());
        if (removed) logger.info('pruned audit events past their retention', { removed, retentionDays });
      })
      .catch((error: Error) => logger.warn('pruning audit events failed', { message: error.message }));
  };
  prune();
  const timer = setInterval(prune, PRUNE_INTERVAL_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await pruning;
  };
}
