-- CreateEnum
CREATE TYPE "DataLoadKind" AS ENUM ('CARE_REQUEST_IMPORT', 'ROSTER_INGESTION', 'BACKFILL');

-- CreateEnum
CREATE TYPE "DataLoadStatus" AS ENUM ('RUNNING', 'COMPLETED', 'FAILED');

-- CreateTable
CREATE TABLE "DataLoad" (
    "id" TEXT NOT NULL,
    "kind" "DataLoadKind" NOT NULL,
    "status" "DataLoadStatus" NOT NULL DEFAULT 'RUNNING',
    "source" TEXT,
    "recordCount" INTEGER NOT NULL DEFAULT 0,
    "startedAt" TIMESTAMPTZ(3) NOT NULL,
    "finishedAt" TIMESTAMPTZ(3),
    "lastUpdated" TIMESTAMPTZ(3),

    CONSTRAINT "DataLoad_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "DataLoad_lastUpdated_id_idx" ON "DataLoad"("lastUpdated", "id");
