-- CreateIndex
CREATE INDEX "RosterPatient_rosterId_lastUpdated_id_idx" ON "RosterPatient"("rosterId", "lastUpdated", "id");
