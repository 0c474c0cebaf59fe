-- CreateEnum
CREATE TYPE "BackfillRunStatus" AS ENUM ('RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED');

-- CreateTable
CREATE TABLE "BackfillRun" (
    "backfillId" TEXT NOT NULL,
    "partnerId" TEXT NOT NULL,
    "rosterId" TEXT NOT NULL,
    "windowFrom" TIMESTAMPTZ(3) NOT NULL,
    "windowUntil" TIMESTAMPTZ(3) NOT NULL,
    "batchSize" INTEGER NOT NULL,
    "acceptGrades" "MatchGrade"[],
    "dryRun" BOOLEAN NOT NULL DEFAULT false,
    "status" "BackfillRunStatus" NOT NULL DEFAULT 'RUNNING',
    "total" INTEGER NOT NULL,
    "processed" INTEGER NOT NULL DEFAULT 0,
    "matched" INTEGER NOT NULL DEFAULT 0,
    "created" INTEGER NOT NULL DEFAULT 0,
    "alreadyAssociated" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUpdated" TIMESTAMPTZ(3),

    CONSTRAINT "BackfillRun_pkey" PRIMARY KEY ("backfillId")
);

-- CreateTable
CREATE TABLE "BackfillPartition" (
    "id" TEXT NOT NULL,
    "backfillId" TEXT NOT NULL,
    "windowFrom" TIMESTAMPTZ(3) NOT NULL,
    "windowUntil" TIMESTAMPTZ(3) NOT NULL,
    "checkpoint" TEXT,
    "processed" INTEGER NOT NULL DEFAULT 0,
    "done" BOOLEAN NOT NULL DEFAULT false,
    "leaseOwner" TEXT,
    "leaseExpiresAt" TIMESTAMPTZ(3),

    CONSTRAINT "BackfillPartition_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "BackfillPartition_backfillId_idx" ON "BackfillPartition"("backfillId");

-- CreateIndex
CREATE INDEX "BackfillPartition_done_leaseExpiresAt_idx" ON "BackfillPartition"("done", "leaseExpiresAt");

-- AddForeignKey
ALTER TABLE "BackfillPartition" ADD CONSTRAINT "BackfillPartition_backfillId_fkey" FOREIGN KEY ("backfillId") REFERENCES "BackfillRun"("backfillId") ON DELETE RESTRICT ON UPDATE CASCADE;
