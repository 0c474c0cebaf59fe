/**
 * `npm run import`: the import CLI streams an NDJSON file through the gateway, reports bad lines by number
 * and records the file as one data load.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CareRequestDocument, DataLoadsDocument } from '@care-graph/operations';
import { type Graph, startGraph } from '../../scripts/in-process-graph';
import { importFile } from '../src/import-file';

const patient = {
  id: 'pt-cli',
  givenName: 'Rosa',
  middleName: null,
  familyName: 'Ortiz',
  dateOfBirth: '1962-11-23',
  sex: 'F',
  ssn: '987654321',
  memberId: 'M7',
};

describe('the import CLI', () => {
  let graph: Graph;
  beforeAll(async () => {
    graph = await startGraph();
  });
  afterAll(() => graph?.close());

  it('imports an NDJSON file with the CLI, reporting bad lines by number and importing the good ones', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'import-'));
    const file = path.join(dir, 'records.ndjson');
    const good = (i: number) =>
      JSON.stringify({
        id: `file-${i}`,
        createdAt: '2026-04-01T00:00:00Z',
        status: 'COMPLETED',
        patient: { ...patient, id: `pt-file-${i}` },
      });
    const lines = [
      good(1),
      `{"id":"file-bad-date","createdAt":"2026-02-30T00:00:00Z","status":"COMPLETED","patient":${JSON.stringify(patient)}}`,
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
      expect.objectContaining({
        id: summary.loadId,
        kind: 'CARE_REQUEST_IMPORT',
        status: 'COMPLETED',
        source: 'records.ndjson',
        recordCount: 9,
      }),
    );
    for (const i of [1, 2, 9]) expect((await graph.run('admin', CareRequestDocument, { id: `file-${i}` })).careRequest).not.toBeNull();
    expect((await graph.run('admin', CareRequestDocument, { id: 'file-bad-date' })).careRequest).toBeNull();
  });
});
