/**
 * `importCareRequests`: loads care requests with their patients, re-importing an id updates it.
 *
 * Each record is checked on its own; the valid ones are written together in one transaction, so a batch
 * is either written whole or not at all, and a rejected record never blocks the others.
 */

import { checkImportRecord, type ImportRecord, normaliseSsn } from '@care-graph/care-request-import';
import { fieldFault } from '@care-graph/limits';
import { badUserInput, conflict, DateScalar, DateTimeScalar, type EventBus, notFound, Sex, writeStamp } from '@care-graph/service-kit';
import { Arg, Authorized, Ctx, Field, ID, InputType, Int, Mutation, ObjectType, Resolver } from 'type-graphql';
import type { CareRequestsContext } from './context';
import { publishDataLoaded } from './data-load-events';
import type { PrismaClient } from './db';
import { type DataLoad, Prisma } from './generated/prisma/client';
import { CareRequestStatus } from './generated/prisma/enums';

/** Largest batch one call accepts; the CLI sends 500 at a time. */
const MAX_IMPORT_BATCH = 5000;

@InputType()
export class AddressInput {
  @Field(() => String, { nullable: true }) line1?: string | null;
  @Field(() => String, { nullable: true }) city?: string | null;
  @Field(() => String, { nullable: true }) state?: string | null;
  @Field(() => String, { nullable: true }) postalCode?: string | null;
}

@InputType()
export class PatientImportInput {
  @Field(() => ID) id!: string;
  @Field() givenName!: string;
  @Field(() => String, { nullable: true }) middleName?: string | null;
  @Field() familyName!: string;
  @Field(() => DateScalar) dateOfBirth!: Date;
  @Field(() => Sex) sex!: Sex;
  @Field(() => String, { nullable: true, description: '9 digits; dashes are removed. Stored, never returned in full.' }) ssn?:
    | string
    | null;
  @Field(() => String, { nullable: true }) memberId?: string | null;
  @Field(() => AddressInput, { nullable: true }) address?: AddressInput | null;
}

@InputType({ description: 'One care request with its patient; the shape of a line of an import NDJSON file.' })
export class CareRequestImportInput {
  @Field(() => ID) id!: string;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => CareRequestStatus) status!: CareRequestStatus;
  @Field(() => DateTimeScalar, {
    nullable: true,
    description: 'Given: kept (historical load). null: the record has none (legacy). Omitted: the time of the load.',
  })
  lastUpdated?: Date | null;
  @Field(() => PatientImportInput) patient!: PatientImportInput;
}

@ObjectType({ simpleResolvers: true })
export class ImportRejection {
  @Field(() => Int, { description: 'Position of the record in `records`, from 0.' }) index!: number;
  @Field(() => ID, { nullable: true }) id!: string | null;
  @Field(() => [String]) reasons!: string[];
}

@ObjectType({ simpleResolvers: true })
export class ImportResult {
  @Field(() => Int) received!: number;
  @Field(() => Int) created!: number;
  @Field(() => Int) updated!: number;
  @Field(() => [ImportRejection]) rejected!: ImportRejection[];
}

@Resolver()
export class ImportResolver {
  @Authorized('admin')
  @Mutation(() => ImportResult, { description: 'Admin: create or update care requests and their patients.' })
  async importCareRequests(
    @Arg('records', () => [CareRequestImportInput]) records: CareRequestImportInput[],
    @Ctx() ctx: CareRequestsContext,
    @Arg('loadId', () => ID, {
      nullable: true,
      description: 'A load opened with startDataLoad: the records count towards it. Without one, this call is a load of its own.',
    })
    loadId?: string,
  ): Promise<ImportResult> {
    if (records.length > MAX_IMPORT_BATCH) {
      throw badUserInput(`At most ${MAX_IMPORT_BATCH} records per call; got ${records.length}. Split the batch (npm run import does).`);
    }
    const rejected: ImportRejection[] = [];
    const valid: ImportRecord[] = [];
    const now = new Date();
    records.forEach((input, index) => {
      // `lastUpdated` absent and `lastUpdated: null` mean different things: keep the key only if it was sent.
      const record: ImportRecord = {
        id: input.id,
        createdAt: input.createdAt,
        status: input.status,
        patient: { ...input.patient, ssn: normaliseSsn(input.patient.ssn) },
      };
      if (input.lastUpdated !== undefined) record.lastUpdated = input.lastUpdated;
      const reasons = checkImportRecord(record, now);
      // A rejected record is named by its id only when that id is itself acceptable text (never echo 100 KB back).
      if (reasons.length) rejected.push({ index, id: fieldFault('id', input.id) ? null : input.id, reasons });
      else valid.push(record);
    });
    const { created, updated, newest, stamp } = await writeImportRecords(ctx.prisma, valid, { loadId: loadId ?? null, events: ctx.events });
    if (newest) for (const table of ['CareRequest', 'Patient']) ctx.clock.noteWrite(table, newest);
    if (!loadId && stamp) ctx.clock.noteWrite('DataLoad', stamp);
    return { received: records.length, created, updated, rejected };
  }
}

const cell = (value: string | null | undefined) => value ?? null;

export interface ImportWriteResult {
  created: number;
  updated: number;
  /** The newest `lastUpdated` written (null when every record was legacy). */
  newest: Date | null;
  /** The transaction's write stamp. */
  stamp?: Date;
}

/**
 * Upserts patients and care requests with two multi-row statements in one transaction, stamped with the
 * transaction's write stamp where a record has no `lastUpdated` of its own. Prisma's per-row upserts cost
 * ~2 round trips a record; multi-row INSERT … ON CONFLICT is an order of magnitude faster on bulk loads
 * (bench/RESULTS.md, "care-requests"). Within one batch a later record with the
 * same id wins. The load is recorded in the same transaction: `loadId` (an open load) gets the count
 * added, otherwise the batch is recorded as a finished load of its own, announced on `events` (to
 * `dataLoaded`) once the transaction has committed — without `events` (the demo seed, benchmarks) to nobody.
 */
export async function writeImportRecords(
  prisma: PrismaClient,
  records: ImportRecord[],
  options: { loadId: string | null; source?: string | null; events?: EventBus } = { loadId: null },
): Promise<ImportWriteResult> {
  const { load, ...result } = await prisma.$transaction(
    async (tx) => {
      const stamp = await writeStamp(tx);
      if (options.loadId) {
        const load = await tx.dataLoad.findUnique({ where: { id: options.loadId } });
        if (!load) throw notFound(`No data load ${options.loadId}; open one with startDataLoad.`);
        if (load.status !== 'RUNNING' || load.kind !== 'CARE_REQUEST_IMPORT') {
          throw conflict(`Data load ${options.loadId} is not a running care-request import (${load.kind}, ${load.status}).`);
        }
      }
      const { created, updated, newest } = await upsertRecords(tx, records, stamp);
      let load: DataLoad | null = null;
      if (options.loadId) {
        await tx.dataLoad.update({ where: { id: options.loadId }, data: { recordCount: { increment: created + updated } } });
      } else if (created + updated > 0) {
        load = await tx.dataLoad.create({
          data: {
            kind: 'CARE_REQUEST_IMPORT',
            status: 'COMPLETED',
            source: options.source ?? 'importCareRequests',
            recordCount: created + updated,
            startedAt: stamp,
            finishedAt: stamp,
            lastUpdated: stamp,
          },
        });
      }
      return { created, updated, newest, stamp, load };
    },
    { timeout: 120_000, maxWait: 30_000 },
  );
  if (load && options.events) publishDataLoaded(options.events, load);
  return result;
}

type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

async function upsertRecords(tx: Tx, records: ImportRecord[], stamp: Date): Promise<ImportWriteResult> {
  if (records.length === 0) return { created: 0, updated: 0, newest: null };
  const careRequests = [...new Map(records.map((r) => [r.id, r])).values()];
  const patients = [...new Map(records.map((r) => [r.patient.id, r])).values()];
  const lastUpdatedOf = (r: ImportRecord) => (r.lastUpdated === undefined ? stamp : r.lastUpdated);
  const stampOf = (r: ImportRecord) => lastUpdatedOf(r)?.toISOString() ?? null;
  const newest = records.reduce<Date | null>((max, r) => {
    const at = lastUpdatedOf(r);
    return at && (!max || at > max) ? at : max;
  }, null);

  const patientRows = patients.map((r) => {
    const p = r.patient;
    return Prisma.sql`(${p.id}, ${p.givenName}, ${cell(p.middleName)}, ${p.familyName}, ${p.dateOfBirth.toISOString().slice(0, 10)}::date,
      ${p.sex}::"Sex", ${cell(p.ssn)}, ${cell(p.memberId)}, ${cell(p.address?.line1)}, ${cell(p.address?.city)},
      ${cell(p.address?.state)}, ${cell(p.address?.postalCode)}, ${stampOf(r)}::timestamptz)`;
  });
  const careRequestRows = careRequests.map(
    (r) =>
      Prisma.sql`(${r.id}, ${r.status}::"CareRequestStatus", ${r.createdAt.toISOString()}::timestamptz, ${r.patient.id}, ${stampOf(r)}::timestamptz)`,
  );
  await tx.$executeRaw`
    INSERT INTO "Patient" ("id", "givenName", "middleName", "familyName", "dateOfBirth", "sex", "ssn", "memberId",
                           "addressLine1", "city", "state", "postalCode", "lastUpdated")
    VALUES ${Prisma.join(patientRows)}
    ON CONFLICT ("id") DO UPDATE SET
      "givenName" = EXCLUDED."givenName", "middleName" = EXCLUDED."middleName", "familyName" = EXCLUDED."familyName",
      "dateOfBirth" = EXCLUDED."dateOfBirth", "sex" = EXCLUDED."sex", "ssn" = EXCLUDED."ssn", "memberId" = EXCLUDED."memberId",
      "addressLine1" = EXCLUDED."addressLine1", "city" = EXCLUDED."city", "state" = EXCLUDED."state",
      "postalCode" = EXCLUDED."postalCode", "lastUpdated" = EXCLUDED."lastUpdated"`;
  const results = await tx.$queryRaw<{ created: boolean }[]>`
    INSERT INTO "CareRequest" ("id", "status", "createdAt", "patientId", "lastUpdated")
    VALUES ${Prisma.join(careRequestRows)}
    ON CONFLICT ("id") DO UPDATE SET
      "status" = EXCLUDED."status", "createdAt" = EXCLUDED."createdAt", "patientId" = EXCLUDED."patientId",
      "lastUpdated" = EXCLUDED."lastUpdated"
    RETURNING (xmax = 0) AS "created"`;
  const created = results.filter((row) => row.created).length;
  return { created, updated: careRequests.length - created, newest };
}
