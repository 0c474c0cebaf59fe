-- CreateEnum
CREATE TYPE "AuditOutcome" AS ENUM ('SUCCESS', 'FAILED', 'DENIED');

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" TEXT NOT NULL,
    "lastUpdated" TIMESTAMPTZ(3) NOT NULL,
    "occurredAt" TIMESTAMPTZ(3) NOT NULL,
    "actorSubject" TEXT NOT NULL,
    "actorRole" TEXT NOT NULL,
    "actorPartnerId" TEXT,
    "operationName" TEXT,
    "fields" TEXT[],
    "ids" TEXT[],
    "idsTotal" INTEGER NOT NULL,
    "outcome" "AuditOutcome" NOT NULL,
    "errorCodes" TEXT[],
    "clientIp" TEXT,
    "requestId" TEXT NOT NULL,
    "transport" TEXT NOT NULL,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AuditEvent_lastUpdated_id_idx" ON "AuditEvent"("lastUpdated", "id");
