-- CreateTable
CREATE TABLE "RosterTermFrequencies" (
    "rosterId" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "counts" JSONB NOT NULL,

    CONSTRAINT "RosterTermFrequencies_pkey" PRIMARY KEY ("rosterId")
);

-- AddForeignKey
ALTER TABLE "RosterTermFrequencies" ADD CONSTRAINT "RosterTermFrequencies_rosterId_fkey" FOREIGN KEY ("rosterId") REFERENCES "Roster"("id") ON DELETE CASCADE ON UPDATE CASCADE;
