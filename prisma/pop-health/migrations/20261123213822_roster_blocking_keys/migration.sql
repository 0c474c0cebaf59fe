-- AlterTable
ALTER TABLE "RosterPatient" ADD COLUMN     "blockingKeys" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- CreateIndex
CREATE INDEX "RosterPatient_blockingKeys_idx" ON "RosterPatient" USING GIN ("blockingKeys");
