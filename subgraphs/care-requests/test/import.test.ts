/**
 * Importing care requests (`importCareRequests`): the `lastUpdated` rule, re-imports, per-record rejection,
 * all-or-nothing batches and the batch limit.
 */
import { CareRequestDocument, type CareRequestImportInput, ImportCareRequestsDocument } from '@care-graph/operations';
import { type Graph, startGraph } from '../../../scripts/in-process-graph';
import { writeImportRecords } from '../src';

const patient = {
  id: 'pt-9',
  givenName: 'Ann',
  middleName: null,
  familyName: 'Lee',
  dateOfBirth: '1950-06-05',
  sex: 'F' as const,
  ssn: '123456789',
  memberId: 'M1',
};

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
    const first: CareRequestImportInput = {
      id: 'again',
      createdAt: '2026-03-01T00:00:00Z',
      status: 'REQUESTED',
      lastUpdated: '2026-03-01T00:00:00Z',
      patient,
    };
    await graph.run('admin', ImportCareRequestsDocument, { records: [first] });
    const { importCareRequests } = await graph.run('admin', ImportCareRequestsDocument, {
      records: [{ ...first, status: 'COMPLETED', lastUpdated: '2026-03-02T00:00:00Z', patient: { ...patient, familyName: 'Lee-Smith' } }],
    });
    expect(importCareRequests).toMatchObject({ created: 0, updated: 1 });
    const { careRequest } = await graph.run('admin', CareRequestDocument, { id: 'again' });
    expect(careRequest).toMatchObject({
      status: 'COMPLETED',
      meta: { lastUpdated: '2026-03-02T00:00:00.000Z' },
      patient: { familyName: 'Lee-Smith' },
    });
  });

  it('rejects a record the service finds invalid by position, and writes the others', async () => {
    const { importCareRequests } = await graph.run('admin', ImportCareRequestsDocument, {
      records: [
        { id: 'ok-1', createdAt: '2026-01-01T00:00:00Z', status: 'COMPLETED', patient: { ...patient, id: 'pt-ok-1' } },
        { id: 'bad-ssn', createdAt: '2026-01-01T00:00:00Z', status: 'COMPLETED', patient: { ...patient, id: 'pt-bad', ssn: '12-34' } },
      ],
    });
    expect(importCareRequests.created).toBe(1);
    expect(importCareRequests.rejected).toEqual([
      { index: 1, id: 'bad-ssn', reasons: [expect.stringContaining('patient.ssn must be 9 digits')] },
    ]);
    // Nothing of the rejected record is written, not even its patient.
    expect(await graph.subgraphs['care-requests'].database.client.patient.findUnique({ where: { id: 'pt-bad' } })).toBeNull();
  });

  it('writes a batch whole or not at all', async () => {
    const prisma = graph.subgraphs['care-requests'].database.client;
    const valid = {
      id: 'atomic-1',
      createdAt: new Date(),
      status: 'COMPLETED' as const,
      patient: { ...patient, id: 'pt-atomic', dateOfBirth: new Date('1950-06-05') },
    };
    // A status the database refuses makes the second statement fail after the patients were inserted.
    const broken = { ...valid, id: 'atomic-2', status: 'NOT_A_STATUS' as never };
    await expect(writeImportRecords(prisma, [valid, broken])).rejects.toThrow();
    expect(await prisma.patient.findUnique({ where: { id: 'pt-atomic' } })).toBeNull();
    expect(await prisma.careRequest.findUnique({ where: { id: 'atomic-1' } })).toBeNull();
  });

  it('refuses more than 5000 records in one call with BAD_USER_INPUT', async () => {
    const records = Array.from({ length: 5001 }, (_, i) => ({
      id: `big-${i}`,
      createdAt: '2026-01-01T00:00:00Z',
      status: 'COMPLETED' as const,
      patient,
    }));
    const { body } = await graph.post(
      await graph.as('admin'),
      'mutation($r: [CareRequestImportInput!]!) { importCareRequests(records: $r) { received } }',
      { r: records },
    );
    expect(body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringContaining('5000') });
  });
});
