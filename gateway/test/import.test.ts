/**
 * Importing care requests: the `lastUpdated` rule, re-imports, and the CLI's line-by-line rejections.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CareRequestDocument, DataLoadsDocument, ImportCareRequestsDocument, type CareRequestImportInput } from '@care-graph/operations';
import { startGraph, type Graph } from '../../scripts/in-process-graph';
import { importFile } from '../src/import-cli';
import { writeImportRecords } from '../../subgraphs/care-requests/src';

const patient = { id: 'pt-9', givenName: 'Ann', middleName: null, familyName: 'Lee', dateOfBirth: '1950-06-05', sex: 'F' as const, ssn: '123456789', memberId: 'M1' };

describe('importing care requests', () => {
  let graph: Graph;
  beforeAll(async () => {
    graph = await startGraph();
  });
  afterAll(() => graph?.close());

  const lastUpdatedOf = async (id: string) => (await graph.run('admin', CareRequestDocument, { id })).careRequest?.meta.lastUpdated;

  it('keeps a given lastUpdated, stores none for null, and stamps the load time when absent', async () => {
    const base = { createdAt: '2026-02-06T01:18:32.180Z', status: 'COMPLETED' as const, patient };
    const before = Date.now();
    const { importCareRequests } = await graph.run('admin', ImportCareRequestsDocument, {
      records: [
        { ...base, id: 'kept', lastUpdated: '2026-02-07T00:00:00.000Z' },
        { ...base, id: 'legacy', lastUpdated: null },
        { ...base, id: 'stamped' },
      ],
    });
    const after = Date.now();
    expect(importCareRequests).toEqual({ received: 3, created: 3, updated: 0, rejected: [] });
    expect(await lastUpdatedOf('kept')).toBe('2026-02-07T00:00:00.000Z');
    expect(await lastUpdatedOf('legacy')).toBeNull();
    const stamped = Date.parse((await lastUpdatedOf('stamped'))!);
    expect(stamped).toBeGreaterThanOrEqual(before);
    expect(stamped).toBeLessThanOrEqual(after);
  });

  it('updates a record re-imported with the same id', async () => {
    const first: CareRequestImportInput = { id: 'again', createdAt: '2026-03-01T00:00:00Z', status: 'REQUESTED', lastUpdated: '2026-03-01T00:00:00Z', patient };
    await graph.run('admin', ImportCareRequestsDocument, { records: [first] });
    const { importCareRequests } = await graph.run('admin', ImportCareRequestsDocument, {
      records: [{ ...first, status: 'COMPLETED', lastUpdated: '2026-03-02T00:00:00Z', patient: { ...patient, familyName: 'Lee-Smith' } }],
    });
    expect(importCareRequests).toMatchObject({ created: 0, updated: 1 });
    const { careRequest } = await graph.run('admin', CareRequestDocument, { id: 'again' });
    expect(careRequest).toMatchObject({ status: 'COMPLETED', meta: { lastUpdated: '2026-03-02T00:00:00.000Z' }, patient: { familyName: 'Lee-Smith' } });
  });

  it('rejects a record the service finds invalid by position, and writes the others', async () => {
    const { importCareRequests } = await graph.run('admin', ImportCareRequestsDocument, {
      records: [
        { id: 'ok-1', createdAt: '2026-01-01T00:00:00Z', status: 'COMPLETED', patient: { ...patient, id: 'pt-ok-1' } },
        { id: 'bad-ssn', createdAt: '2026-01-01T00:00:00Z', status: 'COMPLETED', patient: { ...patient, id: 'pt-bad', ssn: '12-34' } },
      ],
    });
    expect(importCareRequests.created).toBe(1);
    expect(importCareRequests.rejected).toEqual([{ index: 1, id: 'bad-ssn', reasons: [expect.stringContaining('patient.ssn must be 9 digits')] }]);
    // Nothing of the rejected record is written, not even its patient.
    expect(await graph.subgraphs['care-requests'].database.client.patient.findUnique({ where: { id: 'pt-bad' } })).toBeNull();
  });

  it('imports an NDJSON file with the CLI, reporting bad lines by number and importing the good ones', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'import-'));
    const file = path.join(dir, 'records.ndjson');
    const good = (i: number) => JSON.stringify({ id: `file-${i}`, createdAt: '2026-04-01T00:00:00Z', status: 'COMPLETED', patient: { ...patient, id: `pt-file-${i}` } });
    const lines = [
      good(1),
      '{"id":"file-bad-date","createdAt":"2026-02-30T00:00:00Z","status":"COMPLETED","patient":' + JSON.stringify(patient) + '}',
      '',
      good(2),
      'not json at all',
      JSON.stringify({ id: 'file-bad-sex', createdAt: '2026-04-01T00:00:00Z', status: 'COMPLETED', patient: { ...patient, sex: 'X' } }),
      ...Array.from({ length: 7 }, (_, i) => good(i + 3)),
    ];
    await writeFile(file, `${lines.join('\n')}\n`);
    const progress: number[] = [];
    const token = await graph.token('admin');
    const summary = await importFile(file, { url: graph.url, token, batchSize: 3, onProgress: (s) => progress.push(s.created) });
    expect(summary.created).toBe(9);
    expect(summary.rejected).toEqual([
      { line: 2, id: 'file-bad-date', reasons: [expect.stringContaining('createdAt "2026-02-30T00:00:00Z"')] },
      { line: 5, reasons: [expect.stringContaining('not valid JSON')] },
      { line: 6, id: 'file-bad-sex', reasons: [expect.stringContaining('patient.sex "X"')] },
    ]);
    expect(progress.length).toBeGreaterThanOrEqual(3); // batches of 3 → progress after each
    // The file is one data load, listed once finished.
    const { dataLoads } = await graph.run('admin', DataLoadsDocument, { first: 1000 });
    expect(dataLoads.edges.map((e) => e.node)).toContainEqual(
      expect.objectContaining({ id: summary.loadId, kind: 'CARE_REQUEST_IMPORT', status: 'COMPLETED', source: 'records.ndjson', recordCount: 9 }),
    );
    for (const i of [1, 2, 9]) expect((await graph.run('admin', CareRequestDocument, { id: `file-${i}` })).careRequest).not.toBeNull();
    expect((await graph.run('admin', CareRequestDocument, { id: 'file-bad-date' })).careRequest).toBeNull();
  });

  it('writes a batch whole or not at all', async () => {
    const prisma = graph.subgraphs['care-requests'].database.client;
    const valid = { id: 'atomic-1', createdAt: new Date(), status: 'COMPLETED' as const, patient: { ...patient, id: 'pt-atomic', dateOfBirth: new Date('1950-06-05') } };
    // A status the database refuses makes the second statement fail after the patients were inserted.
    const broken = { ...valid, id: 'atomic-2', status: 'NOT_A_STATUS' as never };
    await expect(writeImportRecords(prisma, [valid, broken])).rejects.toThrow();
    expect(await prisma.patient.findUnique({ where: { id: 'pt-atomic' } })).toBeNull();
    expect(await prisma.careRequest.findUnique({ where: { id: 'atomic-1' } })).toBeNull();
  });

  it('refuses more than 5000 records in one call with BAD_USER_INPUT', async () => {
    const records = Array.from({ length: 5001 }, (_, i) => ({ id: `big-${i}`, createdAt: '2026-01-01T00:00:00Z', status: 'COMPLETED' as const, patient }));
    const { body } = await graph.post(await graph.as('admin'), 'mutation($r: [CareRequestImportInput!]!) { importCareRequests(records: $r) { received } }', { r: records });
    expect(body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringContaining('5000') });
  });
});
