/**
 * The roster patient fields are declared once (src/roster-patient-fields.ts); these tests hold the
 * declaration to everything outside the code that names the fields too (the Prisma model, the contract's
 * file header, the Elasticsearch mapping), and follow one roster patient, field by field, from a file row
 * through the parse worker, the INSERT, the matcher's SELECT and the packing across threads.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { MatchDecision, PersonInput } from '@care-graph/matching';
import type { WatermarkClock } from '@care-graph/service-kit';
import { DATABASE_KINDS, freshPostgresDatabase } from '../../../scripts/in-process-graph';
import { openPopHealthDatabase } from '../src/db';
import { MAPPINGS } from '../src/roster-index/elasticsearch-index';
import type { MatchHost } from '../src/roster-index/match-threads';
import { PostgresRosterIndex } from '../src/roster-index/postgres-index';
import type { RosterIndex, RosterPatientDocument } from '../src/roster-index/roster-index';
import { parseRow } from '../src/roster-ingestion/roster-file';
import { ingestRoster } from '../src/roster-ingestion/roster-ingest';
import {
  packPeople,
  ROSTER_HEADER,
  ROSTER_PATIENT_FIELD_NAMES,
  ROSTER_PATIENT_FIELDS,
  type RosterPatientField,
  unpackPeople,
} from '../src/roster-patient-fields';

/** The roster file's header as the contract (ARCHITECTURE.md, roster files) gives it. */
const CONTRACT_HEADER = 'member_id,first_name,middle_name,last_name,date_of_birth,sex,ssn,address_line1,city,state,zip';

/** One roster patient with a different value in every field, as the file has it and as it is stored. */
const PATIENT: Record<Exclude<RosterPatientField, 'id'>, string> = {
  memberId: 'M-7',
  givenName: 'Ann',
  middleName: 'Marie',
  familyName: 'Lee',
  dateOfBirth: '1950-06-05',
  sex: 'F',
  ssn: '123456780',
  addressLine1: '1 Main St',
  city: 'Denver',
  state: 'CO',
  postalCode: '80201',
};
const fileColumn = (name: RosterPatientField) => ROSTER_PATIENT_FIELDS.find((field) => field.name === name)!.fileColumn;
/** PATIENT as a file row: each value in its declared column. */
const PATIENT_ROW = ROSTER_HEADER.map(
  (column) => PATIENT[ROSTER_PATIENT_FIELD_NAMES.find((name) => fileColumn(name) === column) as keyof typeof PATIENT],
);

/** The RosterPatient model's fields in prisma/pop-health/schema.prisma: name → type with its attributes. */
function prismaModelFields(): Map<string, string> {
  const schema = readFileSync(path.join(__dirname, '../../../prisma/pop-health/schema.prisma'), 'utf8');
  const body = /^model RosterPatient \{\n([\s\S]*?)^\}/m.exec(schema)?.[1];
  if (!body) throw new Error('no RosterPatient model in prisma/pop-health/schema.prisma');
  const fields = body
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('//') && !line.startsWith('@@'));
  return new Map(fields.map((line) => [line.split(/\s+/)[0], line.split(/\s+/).slice(1).join(' ')]));
}

/** The SQL type a Prisma field type takes in the INSERT's casts. */
function sqlTypeOf(prismaType: string): string {
  if (prismaType.includes('@db.Date')) return 'date';
  if (prismaType.startsWith('Sex')) return '"Sex"';
  return prismaType.startsWith('String') ? 'text' : prismaType;
}

describe('the roster patient field declaration', () => {
  it('names every field of the Prisma RosterPatient model but its roster and stamp, with the same types', () => {
    const model = prismaModelFields();
    model.delete('rosterId');
    model.delete('lastUpdated');
    expect([...ROSTER_PATIENT_FIELD_NAMES].sort()).toEqual([...model.keys()].sort());
    for (const { name, sqlType } of ROSTER_PATIENT_FIELDS) expect([name, sqlType]).toEqual([name, sqlTypeOf(model.get(name)!)]);
  });

  it("gives the roster file the contract's header, in the contract's order", () => {
    expect(ROSTER_HEADER.join(',')).toBe(CONTRACT_HEADER);
  });

  it('matches the row checks: each column of a file row lands in its declared field', () => {
    const parsed = parseRow(PATIENT_ROW, 2, new Set());
    if (!('patient' in parsed)) throw new Error(`the row was rejected: ${parsed.rejection.reason}`);
    expect({ ...parsed.patient, dateOfBirth: parsed.patient.dateOfBirth.toISOString().slice(0, 10) }).toEqual(PATIENT);
  });

  it('maps every field, and only those, in Elasticsearch (with the roster and the blocking keys)', () => {
    expect(Object.keys(MAPPINGS.properties).sort()).toEqual([...ROSTER_PATIENT_FIELD_NAMES, 'rosterId', 'blockingKeys'].sort());
  });

  it('packs people across threads and back without moving a value', () => {
    const people: PersonInput[] = [
      { id: 'p-1', ...PATIENT },
      { id: 'p-2', givenName: 'Bo', familyName: 'Ng', dateOfBirth: '2001-02-03' },
    ];
    const full = (person: PersonInput) => Object.fromEntries(ROSTER_PATIENT_FIELD_NAMES.map((name) => [name, person[name] ?? null]));
    expect(unpackPeople(packPeople(people))).toEqual(people.map(full));
  });
});

describe.each(DATABASE_KINDS)('a roster patient from file to matcher on %s', (kind) => {
  let database: Awaited<ReturnType<typeof openPopHealthDatabase>>;
  let drop = async () => {};
  beforeAll(async () => {
    let url = 'memory://';
    if (kind === 'postgresql') ({ url, drop } = await freshPostgresDatabase(process.env.TEST_POSTGRES_URL!, 'cg_roster_fields'));
    database = await openPopHealthDatabase({ url, dataDir: os.tmpdir() });
  });
  afterAll(async () => {
    await database?.close();
    await drop();
  });

  it('keeps each value in its field through the parse worker, the INSERT, the Elasticsearch documents and the SELECT', async () => {
    const documents: RosterPatientDocument[] = [];
    const copyingIndex: RosterIndex = {
      wantsRosterPatients: true,
      addRosterPatients: async (_roster, rosterPatients) => void documents.push(...rosterPatients),
      match: async () => [],
      close: async () => {},
    };
    const clock = { noteWrite() {} } as unknown as WatermarkClock;
    const store = { prisma: database.client, database, clock, index: copyingIndex };
    const file = `${ROSTER_HEADER.join(',')}\n${PATIENT_ROW.join(',')}\n`;
    const roster = await ingestRoster(store, { partnerId: 'partner-1', kind: 'BACKFILL', fileName: 'fields.csv' }, Readable.from([file]));

    const stored = await database.client.rosterPatient.findFirstOrThrow({ where: { rosterId: roster.id } });
    const { id, rosterId: _roster, lastUpdated: _stamp, dateOfBirth, ...columns } = stored;
    expect({ ...columns, dateOfBirth: dateOfBirth.toISOString().slice(0, 10) }).toEqual(PATIENT);

    expect(documents).toEqual([{ id, ...PATIENT, rosterId: roster.id, blockingKeys: expect.any(Array) }]);

    const loaded: PersonInput[] = [];
    const recordingHost: MatchHost = {
      load: async (_rosterId, rosterPatients) => void loaded.push(...rosterPatients),
      drop: () => {},
      match: async (): Promise<MatchDecision[]> => [],
      close: async () => {},
    };
    const index = new PostgresRosterIndex(database.client, recordingHost);
    await index.match(roster, []);
    expect(loaded).toEqual([{ id, ...PATIENT }]);
  });
});
