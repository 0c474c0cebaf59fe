-- CreateEnum
CREATE TYPE "BackfillPhase" AS ENUM ('WAITING_FOR_ROSTER', 'HANDING_OFF', 'MATCHING', 'CANCELLING', 'NOTIFYING', 'DONE');

-- CreateEnum
CREATE TYPE "MatchGrade" AS ENUM ('CERTAIN', 'PROBABLE', 'POSSIBLE');

-- AlterTable
ALTER TABLE "Backfill" DROP COLUMN "matched",
DROP COLUMN "processed",
DROP COLUMN "total",
ADD COLUMN     "acceptGrades" "MatchGrade"[] DEFAULT ARRAY['CERTAIN', 'PROBABLE']::"MatchGrade"[],
ADD COLUMN     "cancelRequested" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "cancelledAt" TIMESTAMPTZ(3),
ADD COLUMN     "cancelledBy" TEXT,
ADD COLUMN     "dataLoadId" TEXT,
ADD COLUMN     "dryRun" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "notifiedAt" TIMESTAMPTZ(3),
ADD COLUMN     "phase" "BackfillPhase" NOT NULL DEFAULT 'HANDING_OFF',
ADD COLUMN     "reportedCounts" JSONB,
ADD COLUMN     "requestedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN     "requestedByEmail" TEXT,
ADD COLUMN     "stepAttempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "stepError" TEXT,
ADD COLUMN     "stepRetryAt" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "Roster" ADD COLUMN     "error" TEXT;

-- CreateIndex
CREATE INDEX "Backfill_partnerId_status_idx" ON "Backfill"("partnerId", "status");

-- CreateIndex
CREATE INDEX "Backfill_rosterId_lastUpdated_id_idx" ON "Backfill"("rosterId", "lastUpdated", "id");

-- CreateIndex
CREATE INDEX "Backfill_phase_idx" ON "Backfill"("phase");

-- Backfills finished before this migration are done: their lifecycle has nothing left to do (no email is owed)
UPDATE "Backfill" SET "phase" = 'DONE', "notifiedAt" = "finishedAt" WHERE "status" IN ('COMPLETED', 'FAILED', 'CANCELLED');
UPDATE "Backfill" SET "phase" = 'MATCHING' WHERE "status" = 'RUNNING';
UPDATE "Backfill" SET "phase" = 'WAITING_FOR_ROSTER' WHERE "status" = 'INGESTING';
