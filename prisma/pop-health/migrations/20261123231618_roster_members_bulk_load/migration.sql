-- Roster members are bulk-loaded by ingestion: the per-row foreign-key check was a fifth of a 100,000-row
-- ingestion on PGlite, and the stored blocking keys doubled each row. Members are now deleted with their
-- roster in one transaction (roster-ingest.ts), and the roster index computes the keys when it loads a
-- roster (so a change to the matching rules needs no re-ingestion).

-- DropForeignKey
ALTER TABLE "RosterPatient" DROP CONSTRAINT "RosterPatient_rosterId_fkey";

-- AlterTable
ALTER TABLE "RosterPatient" DROP COLUMN "blockingKeys";
