-- AlterTable
ALTER TABLE "DataLoad" ADD COLUMN     "partnerId" TEXT;
