-- DropIndex
DROP INDEX "RosterPatient_lastUpdated_id_idx";
