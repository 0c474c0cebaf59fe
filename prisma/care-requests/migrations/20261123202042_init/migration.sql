-- CreateEnum
CREATE TYPE "Sex" AS ENUM ('F', 'M', 'O', 'U');

-- CreateEnum
CREATE TYPE "CareRequestStatus" AS ENUM ('REQUESTED', 'ACCEPTED', 'SCHEDULED', 'ON_ROUTE', 'ON_SCENE', 'COMPLETED', 'CANCELLED', 'ARCHIVED');

-- CreateTable
CREATE TABLE "Patient" (
    "id" TEXT NOT NULL,
    "givenName" TEXT NOT NULL,
    "middleName" TEXT,
    "familyName" TEXT NOT NULL,
    "dateOfBirth" DATE NOT NULL,
    "sex" "Sex" NOT NULL,
    "ssn" TEXT,
    "memberId" TEXT,
    "addressLine1" TEXT,
    "city" TEXT,
    "state" TEXT,
    "postalCode" TEXT,
    "lastUpdated" TIMESTAMPTZ(3),

    CONSTRAINT "Patient_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CareRequest" (
    "id" TEXT NOT NULL,
    "status" "CareRequestStatus" NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,
    "patientId" TEXT NOT NULL,
    "lastUpdated" TIMESTAMPTZ(3),

    CONSTRAINT "CareRequest_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Patient_lastUpdated_id_idx" ON "Patient"("lastUpdated", "id");

-- CreateIndex
CREATE INDEX "CareRequest_createdAt_id_idx" ON "CareRequest"("createdAt", "id");

-- CreateIndex
CREATE INDEX "CareRequest_lastUpdated_id_idx" ON "CareRequest"("lastUpdated", "id");

-- CreateIndex
CREATE INDEX "CareRequest_patientId_idx" ON "CareRequest"("patientId");

-- AddForeignKey
ALTER TABLE "CareRequest" ADD CONSTRAINT "CareRequest_patientId_fkey" FOREIGN KEY ("patientId") REFERENCES "Patient"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
