-- AlterTable
ALTER TABLE "BackfillPartition" ADD COLUMN     "retryAt" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "BackfillRun" ADD COLUMN     "attempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "error" TEXT,
ADD COLUMN     "finishedAt" TIMESTAMPTZ(3),
ADD COLUMN     "firstPageAt" TIMESTAMPTZ(3),
ADD COLUMN     "lastError" TEXT,
ADD COLUMN     "matchSample" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN     "outcomeReportedAt" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "PartnerAssociation_backfillId_lastUpdated_id_idx" ON "PartnerAssociation"("backfillId", "lastUpdated", "id");
