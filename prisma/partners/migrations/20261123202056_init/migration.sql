-- CreateEnum
CREATE TYPE "AssociationSource" AS ENUM ('BACKFILL', 'MANUAL', 'REAL_TIME');

-- CreateEnum
CREATE TYPE "MatchGrade" AS ENUM ('CERTAIN', 'PROBABLE', 'POSSIBLE', 'NONE');

-- CreateTable
CREATE TABLE "Partner" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUpdated" TIMESTAMPTZ(3),

    CONSTRAINT "Partner_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PartnerAssociation" (
    "id" TEXT NOT NULL,
    "partnerId" TEXT NOT NULL,
    "careRequestId" TEXT NOT NULL,
    "rosterPatientId" TEXT,
    "backfillId" TEXT,
    "source" "AssociationSource" NOT NULL,
    "matchScore" DOUBLE PRECISION,
    "matchGrade" "MatchGrade",
    "matchExplanation" JSONB,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUpdated" TIMESTAMPTZ(3),

    CONSTRAINT "PartnerAssociation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Partner_name_key" ON "Partner"("name");

-- CreateIndex
CREATE INDEX "Partner_lastUpdated_id_idx" ON "Partner"("lastUpdated", "id");

-- CreateIndex
CREATE INDEX "PartnerAssociation_careRequestId_idx" ON "PartnerAssociation"("careRequestId");

-- CreateIndex
CREATE INDEX "PartnerAssociation_partnerId_lastUpdated_id_idx" ON "PartnerAssociation"("partnerId", "lastUpdated", "id");

-- CreateIndex
CREATE INDEX "PartnerAssociation_lastUpdated_id_idx" ON "PartnerAssociation"("lastUpdated", "id");

-- CreateIndex
CREATE UNIQUE INDEX "PartnerAssociation_partnerId_careRequestId_key" ON "PartnerAssociation"("partnerId", "careRequestId");

-- AddForeignKey
ALTER TABLE "PartnerAssociation" ADD CONSTRAINT "PartnerAssociation_partnerId_fkey" FOREIGN KEY ("partnerId") REFERENCES "Partner"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
