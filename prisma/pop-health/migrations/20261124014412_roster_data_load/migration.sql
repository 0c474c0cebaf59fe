-- AlterTable
ALTER TABLE "Roster" ADD COLUMN     "dataLoadId" TEXT;
