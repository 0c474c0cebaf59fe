-- No semicolons in comments: the PostgreSQL driver adapter splits the script on them.
-- Partner names are unique as users mean them: case- and whitespace-insensitively (issue 10). "nameKey" holds
-- the name under that rule, partnerNameKey() in subgraphs/partners/src/partner-name.ts, which the service
-- fills on every write. The unique index on it replaces the one on the display name.

-- AlterTable
ALTER TABLE "Partner" ADD COLUMN "nameKey" TEXT;

-- Backfill: the same rule in SQL (NFKC, whitespace runs to one space, trimmed, case-folded through upper then
-- lower). It agrees with the TypeScript rule for ASCII and typical Latin names. Where Unicode case mapping
-- differs (ß, for one), later writes go through the rule of the service.
UPDATE "Partner"
SET "nameKey" = lower(upper(btrim(regexp_replace(normalize("name", NFKC), '[[:space:]]+', ' ', 'g'), ' ')));

-- Existing names that are equal under the rule must not fail the migration: the oldest partner keeps the key,
-- and each later one gets its id appended (" #<id>"), so every partner keeps its id and display name, and
-- a new partner of that name is refused as a duplicate of the oldest.
UPDATE "Partner" AS p
SET "nameKey" = p."nameKey" || ' #' || p."id"
FROM (SELECT "id", row_number() OVER (PARTITION BY "nameKey" ORDER BY "createdAt", "id") AS rank FROM "Partner") AS ranked
WHERE ranked."id" = p."id" AND ranked.rank > 1;

ALTER TABLE "Partner" ALTER COLUMN "nameKey" SET NOT NULL;

-- DropIndex
DROP INDEX "Partner_name_key";

-- CreateIndex
CREATE UNIQUE INDEX "Partner_nameKey_key" ON "Partner"("nameKey");
