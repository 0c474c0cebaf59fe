-- DropIndex
DROP INDEX "RosterPatient_blockingKeys_idx";
