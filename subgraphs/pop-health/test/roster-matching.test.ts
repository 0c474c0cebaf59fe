/**
 * Batch matching against a roster through the public contract: grades and explanations, one roster lookup
 * a batch, summary-only answers, and refusals.
 */
import { WEIGHTS } from '@care-graph/matching';
import { MatchPatientsDocument } from '@care-graph/operations';
import { InternalAuth, internalSigner } from '@care-graph/service-kit';
import { DATABASE_KINDS, type Graph } from '../../../scripts/in-process-graph';
import { HEADER, ROWS, type RosterGraph, startGraphWithPartner } from './roster-fixtures';

const round2 = (n: number) => Math.round(n * 100) / 100;

describe.each(DATABASE_KINDS)('roster matching on %s', (kind) => {
  let graph: Graph;
  let partnerId: string;
  let ingest: RosterGraph['ingest'];
  beforeAll(async () => ({ graph, partnerId, ingest } = await startGraphWithPartner(kind, 'Matching Partner')));
  afterAll(() => graph?.close());

  it('matches a batch of patients in one call, with grades and explanations, and never the twin', async () => {
    const { ingestRoster: roster } = await ingest([HEADER, ...ROWS].join('\n'), 'match.csv', 'CURRENT');
    const before = graph.subgraphs['pop-health'].database.queryCount();
    const { matchPatients } = await graph.run('service', MatchPatientsDocument, {
      rosterId: roster.id,
      patients: [
        {
          id: 'p-bill',
          givenName: 'BILL',
          familyName: 'garcia',
          dateOfBirth: '1948-11-30',
          sex: 'M',
          addressLine1: '5 Oak Avenue',
          postalCode: '80301',
        },
        { id: 'p-ann', givenName: 'Ann', familyName: 'Lee', dateOfBirth: '1950-06-05', sex: 'F', ssn: '123456780' },
        {
          id: 'p-twin',
          givenName: 'Dora',
          familyName: 'Lee',
          dateOfBirth: '1950-06-05',
          sex: 'F',
          addressLine1: '1 Main St',
          postalCode: '80201',
        },
        { id: 'p-stranger', givenName: 'Zed', familyName: 'Quill', dateOfBirth: '2001-01-01' },
      ],
    });
    // One roster-index load for the whole batch (its roster patients and its term frequencies), plus the roster
    // itself and the matched roster patients (DataLoader) — not one per patient.
    expect(graph.subgraphs['pop-health'].database.queryCount() - before).toBeLessThanOrEqual(5);
    const byId = Object.fromEntries(matchPatients.map((m) => [m.patientId, m]));
    expect(byId['p-bill']).toMatchObject({ accepted: true, rosterPatient: { memberId: 'M3' } });
    const bill = byId['p-bill'].explanation!;
    const nickname = bill.fields.find((f) => f.field === 'givenName')!;
    expect(nickname).toMatchObject({ level: 'nickname', weight: round2(WEIGHTS.givenName.nickname + nickname.frequencyAdjustment) });
    expect(nickname.frequencyAdjustment).toBeLessThanOrEqual(0); // a near miss is only ever lowered by its frequency
    // The prior is one in the roster's size; the total adds the field weights to it.
    expect(bill.prior).toBe(-round2(Math.log2(roster.acceptedCount)));
    expect(bill.total).toBeCloseTo(bill.prior + bill.fields.reduce((sum, f) => sum + f.weight, 0), 1);
    expect(byId['p-ann']).toMatchObject({ accepted: true, grade: 'CERTAIN', rosterPatient: { memberId: 'M1' } });
    // The runner-up's id without a roster lookup is the id of the member `rosterPatient` loads.
    const runnerUp = byId['p-ann'].explanation!.runnerUp!;
    expect(runnerUp.rosterPatientId).toEqual(expect.any(String));
    expect(runnerUp.rosterPatient.id).toBe(runnerUp.rosterPatientId);
    expect(byId['p-twin']).toMatchObject({ accepted: false, grade: 'NONE' });
    expect(byId['p-twin'].explanation!.guards).toContain('twin');
    expect(byId['p-stranger']).toMatchObject({ accepted: false, grade: 'NONE', rosterPatient: null, explanation: null });
    expect(JSON.stringify(matchPatients)).not.toContain('123456780');
  });

  it('answers a summary-only selection with summaries, and fragments with the full details', async () => {
    // Straight to pop-health, as the backfill runner calls it: the gateway would flatten the fragments.
    const { ingestRoster: roster } = await ingest([HEADER, ...ROWS].join('\n'), 'match.csv', 'CURRENT');
    const internal = await InternalAuth.fromEnv(graph.env, graph.dataDir);
    const subgraph = {
      url: graph.subgraphs['pop-health'].url,
      sign: internalSigner(internal, { subject: 'test', role: 'service' }, 'pop-health'),
    };
    const variables = {
      rosterId: roster.id,
      patients: [{ id: 'p-ann', givenName: 'Ann', familyName: 'Lee', dateOfBirth: '1950-06-05', ssn: '123456780' }],
    };
    type Answer = { matchPatients: { grade: string; explanation: { summary: string; fields?: { field: string; level: string }[] } }[] };
    const match = async (selection: string, fragments = '') => {
      const query = `query($rosterId: ID!, $patients: [MatchPatientInput!]!) {
        matchPatients(rosterId: $rosterId, patients: $patients) { ${selection} } } ${fragments}`;
      const { body } = await graph.post(subgraph, query, variables);
      expect(body.errors).toBeUndefined();
      return (body.data as Answer).matchPatients[0];
    };
    expect(await match('grade explanation { summary }')).toEqual({
      grade: 'CERTAIN',
      explanation: { summary: expect.stringMatching(/^CERTAIN: /) },
    });
    const level = { field: 'ssn', level: 'full' };
    expect(
      (await match('grade explanation { summary ...Details }', 'fragment Details on MatchExplanation { fields { field level } }'))
        .explanation.fields,
    ).toContainEqual(level);
    expect(
      (await match('...Match', 'fragment Match on PatientMatch { grade explanation { fields { field level } } }')).explanation.fields,
    ).toContainEqual(level);
    expect((await match('grade explanation { ... on MatchExplanation { fields { field level } } }')).explanation.fields).toContainEqual(
      level,
    );
  });

  it('refuses matching to partner tokens and against an unknown roster', async () => {
    const partner = await graph.post(await graph.as('partner', partnerId), '{ matchPatients(rosterId: "x", patients: []) { patientId } }');
    expect(partner.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const missing = await graph.post(await graph.as('service'), '{ matchPatients(rosterId: "nope", patients: []) { patientId } }');
    expect(missing.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});
