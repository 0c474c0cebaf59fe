-- CreateEnum
CREATE TYPE "Sex" AS ENUM ('F', 'M', 'O', 'U');

-- CreateEnum
CREATE TYPE "RosterKind" AS ENUM ('CURRENT', 'BACKFILL');

-- CreateEnum
CREATE TYPE "RosterStatus" AS ENUM ('PENDING', 'INGESTING', 'READY', 'FAILED');

-- CreateEnum
CREATE TYPE "BackfillStatus" AS ENUM ('PENDING', 'INGESTING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED');

-- CreateTable
CREATE TABLE "Roster" (
    "id" TEXT NOT NULL,
    "partnerId" TEXT NOT NULL,
    "kind" "RosterKind" NOT NULL,
    "fileName" TEXT NOT NULL,
    "contentHash" TEXT NOT NULL,
    "status" "RosterStatus" NOT NULL DEFAULT 'PENDING',
    "rowCount" INTEGER NOT NULL DEFAULT 0,
    "acceptedCount" INTEGER NOT NULL DEFAULT 0,
    "rejectedCount" INTEGER NOT NULL DEFAULT 0,
    "rejectedRows" JSONB NOT NULL DEFAULT '[]',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUpdated" TIMESTAMPTZ(3),

    CONSTRAINT "Roster_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RosterPatient" (
    "id" TEXT NOT NULL,
    "rosterId" TEXT NOT NULL,
    "memberId" TEXT NOT NULL,
    "givenName" TEXT NOT NULL,
    "middleName" TEXT,
    "familyName" TEXT NOT NULL,
    "dateOfBirth" DATE NOT NULL,
    "sex" "Sex" NOT NULL,
    "ssn" TEXT,
    "addressLine1" TEXT,
    "city" TEXT,
    "state" TEXT,
    "postalCode" TEXT,
    "lastUpdated" TIMESTAMPTZ(3),

    CONSTRAINT "RosterPatient_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Backfill" (
    "id" TEXT NOT NULL,
    "partnerId" TEXT NOT NULL,
    "rosterId" TEXT NOT NULL,
    "startDate" DATE NOT NULL,
    "endDate" DATE NOT NULL,
    "status" "BackfillStatus" NOT NULL DEFAULT 'PENDING',
    "batchSize" INTEGER NOT NULL DEFAULT 500,
    "idempotencyKey" TEXT,
    "requestedBy" TEXT,
    "processed" INTEGER NOT NULL DEFAULT 0,
    "total" INTEGER,
    "matched" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMPTZ(3),
    "finishedAt" TIMESTAMPTZ(3),
    "lastUpdated" TIMESTAMPTZ(3),

    CONSTRAINT "Backfill_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Roster_partnerId_idx" ON "Roster"("partnerId");

-- CreateIndex
CREATE INDEX "Roster_lastUpdated_id_idx" ON "Roster"("lastUpdated", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Roster_partnerId_kind_contentHash_key" ON "Roster"("partnerId", "kind", "contentHash");

-- CreateIndex
CREATE INDEX "RosterPatient_lastUpdated_id_idx" ON "RosterPatient"("lastUpdated", "id");

-- CreateIndex
CREATE UNIQUE INDEX "RosterPatient_rosterId_memberId_key" ON "RosterPatient"("rosterId", "memberId");

-- CreateIndex
CREATE INDEX "Backfill_partnerId_lastUpdated_id_idx" ON "Backfill"("partnerId", "lastUpdated", "id");

-- CreateIndex
CREATE INDEX "Backfill_lastUpdated_id_idx" ON "Backfill"("lastUpdated", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Backfill_partnerId_idempotencyKey_key" ON "Backfill"("partnerId", "idempotencyKey");

-- AddForeignKey
ALTER TABLE "RosterPatient" ADD CONSTRAINT "RosterPatient_rosterId_fkey" FOREIGN KEY ("rosterId") REFERENCES "Roster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Backfill" ADD CONSTRAINT "Backfill_rosterId_fkey" FOREIGN KEY ("rosterId") REFERENCES "Roster"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
