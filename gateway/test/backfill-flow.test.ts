/**
 * A backfill end to end through the gateway, across pop-health (request, lifecycle, email) and partners (the
 * run): started by an admin whose token carries an email address, handed off, run, finished, listed in
 * dataLoads as a BACKFILL load, and told by email (embedded mode: the outbox). Needs partners'
 * startBackfillRun and runner (issue 11), so it passes once both sides are merged.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CreatePartnerDocument, DataLoadsDocument, ImportCareRequestsDocument, IngestRosterDocument } from '@care-graph/operations';
import { eventually } from '../../scripts/eventually';
import { DATABASE_KINDS, type Graph, startGraph } from '../../scripts/in-process-graph';

const ROSTER_HEADER = 'member_id,first_name,middle_name,last_name,date_of_birth,sex,ssn,address_line1,city,state,zip';

describe.each(DATABASE_KINDS)('a backfill from request to email on %s', (kind) => {
  let graph: Graph;
  beforeAll(async () => {
    graph = await startGraph(kind);
  });
  afterAll(() => graph?.close());

  it('runs to COMPLETED, lists its data load, and emails the requester once with the counts', async () => {
    const { createPartner } = await graph.run('admin', CreatePartnerDocument, { input: { name: 'Flow Health Plan' } });
    const people = Array.from({ length: 6 }, (_, i) => ({
      memberId: `FLOW-${i}`,
      givenName: `Flowgiven${i}`,
      familyName: `Flowfamily${i}`,
    }));
    const rows = people.map((p) => `${p.memberId},${p.givenName},,${p.familyName},1950-06-05,F,,1 Main St,Denver,CO,80201`);
    const { ingestRoster } = await graph.run('admin', IngestRosterDocument, {
      input: { partnerId: createPartner.id, kind: 'BACKFILL', fileName: 'flow-roster.csv', content: [ROSTER_HEADER, ...rows].join('\n') },
    });
    await graph.run('admin', ImportCareRequestsDocument, {
      records: people.map((p, i) => ({
        id: `flow-care-request-${i}`,
        createdAt: new Date(Date.UTC(2026, 0, 2 + i)).toISOString(),
        status: 'COMPLETED' as const,
        patient: {
          id: `flow-patient-${i}`,
          givenName: p.givenName,
          familyName: p.familyName,
          dateOfBirth: '1950-06-05',
          sex: 'F' as const,
          memberId: p.memberId,
          address: { line1: '1 Main St', city: 'Denver', state: 'CO', postalCode: '80201' },
        },
      })),
    });
    const asAdmin = await graph.as('admin', undefined, 'ada@example.org');
    const { body } = await graph.post(asAdmin, 'mutation($input: StartBackfillInput!) { startBackfill(input: $input) { id status } }', {
      input: { partnerId: createPartner.id, rosterId: ingestRoster.id, startDate: '2026-01-01', endDate: '2026-01-31' },
    });
    const { id } = (body as { data: { startBackfill: { id: string } } }).data.startBackfill;
    const read = `query($id: ID!) { backfill(id: $id) { status phase startedAt finishedAt error processed total created } }`;
    const done = await eventually(
      'the backfill is done',
      async () => {
        const answer = (await graph.post(asAdmin, read, { id })).body as {
          data: {
            backfill: {
              status: string;
              phase: string;
              startedAt: string | null;
              finishedAt: string | null;
              processed: number;
              total: number | null;
              created: number;
            };
          };
        };
        const b = answer.data.backfill;
        if (b.status === 'RUNNING') expect(b.finishedAt).toBeNull();
        if (b.status === 'COMPLETED')
          expect({ finishedAt: !!b.finishedAt, processed: b.processed }).toEqual({ finishedAt: true, processed: b.total });
        return b.phase === 'DONE' ? b : null;
      },
      { deadlineMs: 30_000 },
    );
    expect(done).toMatchObject({ status: 'COMPLETED', error: null, processed: 6, total: 6 });
    expect(done.startedAt).not.toBeNull();
    const { dataLoads } = await graph.run('admin', DataLoadsDocument, { first: 100 });
    const load = dataLoads.edges.map((e) => e.node).find((n) => n.kind === 'BACKFILL' && n.source === 'flow-roster.csv');
    expect(load).toMatchObject({ status: 'COMPLETED', recordCount: done.created });
    const eml = (await readFile(path.join(graph.dataDir, 'outbox', `${id}.eml`), 'utf8')).replace(/=\r?\n/g, '');
    expect(eml).toContain('To: ada@example.org');
    expect(eml).toContain('Flow Health Plan');
    expect(eml).toContain('flow-roster.csv');
    expect(eml).not.toContain('Flowgiven'); // no PHI
  });
});
