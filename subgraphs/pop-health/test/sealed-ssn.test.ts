/**
 * The backfill runner's path for an SSN: care-requests hands it out only sealed (Patient.sealedSsn), the runner
 * passes it on unchanged, and pop-health's matcher opens it, matching exactly as with the number itself.
 */
import { DATABASE_KINDS, type Graph } from '../../../scripts/in-process-graph';
import { HEADER, type RosterGraph, startGraphWithPartner } from './roster-fixtures';

const SSN = '123456780';
const MATCH = `query($rosterId: ID!, $patients: [MatchPatientInput!]!) {
  matchPatients(rosterId: $rosterId, patients: $patients) { patientId grade score accepted explanation { fields { field level weight } } } }`;

describe.each(DATABASE_KINDS)('sealed SSNs on %s', (kind) => {
  let graph: Graph;
  let ingest: RosterGraph['ingest'];
  let rosterId: string;
  let sealed: string;
  beforeAll(async () => {
    ({ graph, ingest } = await startGraphWithPartner(kind, 'Sealing Partner'));
    // The roster member and the care request's patient share only the SSN and the birth date: the SSN decides.
    const { ingestRoster } = await ingest([HEADER, `S1,Ann,,Lee,1950-06-05,F,${SSN},,,,`].join('\n'), 'sealed.csv', 'BACKFILL');
    rosterId = ingestRoster.id;
    const { body } = await graph.post(
      await graph.as('admin'),
      'mutation($r: [CareRequestImportInput!]!) { importCareRequests(records: $r) { created } }',
      {
        r: [
          {
            id: 'cr-sealed',
            createdAt: '2026-03-01T00:00:00.000Z',
            status: 'COMPLETED',
            patient: { id: 'pt-sealed', givenName: 'Annie', familyName: 'Leigh', dateOfBirth: '1950-06-05', sex: 'F', ssn: SSN },
          },
        ],
      },
    );
    expect(body.errors).toBeUndefined();
    const page = await graph.post(
      await graph.as('service'),
      `{ careRequestsCreated(window: { from: "2026-03-01T00:00:00.000Z", until: "2026-03-02T00:00:00.000Z" }) {
          careRequests { patient { sealedSsn ssnLast4 } } } }`,
    );
    const [careRequest] = (page.body.data as { careRequestsCreated: { careRequests: { patient: { sealedSsn: string } }[] } })
      .careRequestsCreated.careRequests;
    sealed = careRequest.patient.sealedSsn;
    expect(JSON.stringify(page.body)).not.toContain(SSN);
  });
  afterAll(() => graph?.close());

  const match = async (patient: Record<string, unknown>, role: 'service' | 'partner' = 'service') =>
    (
      await graph.post(await graph.as(role, role === 'partner' ? 'p' : undefined), MATCH, {
        rosterId,
        patients: [{ id: 'pt-sealed', givenName: 'Annie', familyName: 'Leigh', dateOfBirth: '1950-06-05', sex: 'F', ...patient }],
      })
    ).body as { data?: { matchPatients: unknown[] }; errors?: { message: string; extensions?: { code?: string; field?: string } }[] };

  it('matches with the sealed SSN exactly as with the SSN itself', async () => {
    const plain = await match({ ssn: SSN });
    const viaSeal = await match({ sealedSsn: sealed });
    expect(viaSeal.errors).toBeUndefined();
    expect(viaSeal.data).toEqual(plain.data);
    const [decision] = viaSeal.data!.matchPatients as { explanation: { fields: { field: string; level: string }[] } }[];
    expect(decision.explanation.fields).toContainEqual(expect.objectContaining({ field: 'ssn', level: 'full' }));
  });

  it('seals for service tokens only: an admin reads null, and the last four digits as ever', async () => {
    const { body } = await graph.post(
      await graph.as('admin'),
      `{ careRequestsCreated(window: { from: "2026-03-01T00:00:00.000Z", until: "2026-03-02T00:00:00.000Z" }) {
          careRequests { patient { sealedSsn ssnLast4 } } } }`,
    );
    expect(body.data).toEqual({ careRequestsCreated: { careRequests: [{ patient: { sealedSsn: null, ssnLast4: '6780' } }] } });
  });

  it.each([
    ['a changed seal', () => ({ sealedSsn: `${sealed.slice(0, -3)}AAA` }), /was not sealed by care-requests, or was changed/],
    ['a plain SSN passed as sealed', () => ({ sealedSsn: SSN }), /was not sealed by care-requests/],
    ['both forms', () => ({ ssn: SSN, sealedSsn: sealed }), /pass ssn or sealedSsn, not both/],
  ])('refuses %s with BAD_USER_INPUT naming the field', async (_label, patient, message) => {
    const { errors } = await match(patient());
    expect(errors?.[0]).toMatchObject({
      message: expect.stringMatching(message),
      extensions: { code: 'BAD_USER_INPUT', field: 'patients.0.sealedSsn' },
    });
  });
});
