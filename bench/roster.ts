/**
 * Roster speed through the running services: ingest a 100,000-row roster through the gateway's streamed
 * `POST /rosters`, then match 100,000 patients against it with `matchPatients` in batches (as the backfill
 * runner will), measured from a client in a worker thread (the runner is a service of its own). The first
 * batch is sent once untimed: it loads the roster into the index cache, as a backfill's first batch does.
 * Targets: ingest ≤ 5 s; match ≥ 20,000 patients/s.
 */
import { generateSynthetic, type PersonInput } from '@care-graph/matching';
import { IDENTITY_HEADER, InternalAuth } from '@care-graph/service-kit';
import { CreatePartnerDocument, MatchPatientsBriefDocument } from '@care-graph/operations';
import { print } from 'graphql';
import { startInProcessGraph } from '../scripts/in-process-graph';
import { sendSequence, uploadFile } from './lib';

export interface RosterSpeed {
  rosterRows: number;
  ingestSeconds: number;
  patients: number;
  batchSize: number;
  matchSeconds: number;
  patientsPerSecond: number;
  accepted: number;
}

const csvCell = (value: string | null | undefined) => {
  const text = value ?? '';
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

export async function runRosterSpeed(options: { rows: number; batchSize: number; log: (line: string) => void }): Promise<RosterSpeed> {
  process.env.LOG_LEVEL ??= 'warn';
  const { roster, patients } = generateSynthetic({ rosterSize: options.rows, patients: options.rows, seed: 3 });
  const graph = await startInProcessGraph();
  try {
    const { createPartner } = await graph.run('admin', CreatePartnerDocument, { input: { name: 'Speed Partner' } });
    // The partner's file, written out before the clock starts (a real upload sends a file from disk).
    const lines = ['member_id,first_name,middle_name,last_name,date_of_birth,sex,ssn,address_line1,city,state,zip'];
    for (const p of roster) {
      lines.push([p.id, p.givenName, p.middleName, p.familyName, p.dateOfBirth, p.sex, p.ssn, p.addressLine1, p.city, p.state, p.postalCode].map(csvCell).join(','));
    }
    const file = Buffer.from(`${lines.join('\n')}\n`);
    const upload = await uploadFile({
      url: `${graph.url.replace('/graphql', '/rosters')}?partnerId=${createPartner.id}&kind=BACKFILL&fileName=speed.csv`,
      headers: { 'content-type': 'text/csv', authorization: `Bearer ${await graph.token('admin')}` },
      body: file,
    });
    const ingestSeconds = upload.seconds;
    const body = JSON.parse(upload.text) as { roster: { id: string; acceptedCount: number } };
    if (upload.status !== 201) throw new Error(`ingest failed: ${upload.text.slice(0, 500)}`);
    options.log(`  ingested ${body.roster.acceptedCount.toLocaleString('en-US')} roster rows in ${ingestSeconds.toFixed(2)} s`);

    // Straight to the subgraph, as the partners service's backfill runner calls it.
    const internal = await InternalAuth.fromEnv(graph.env, graph.dataDir);
    const headers = { [IDENTITY_HEADER]: await internal.sign({ subject: 'bench', role: 'service' }) };
    const query = print(MatchPatientsBriefDocument);
    const input = (p: PersonInput) => ({
      id: p.id, givenName: p.givenName, middleName: p.middleName, familyName: p.familyName, dateOfBirth: p.dateOfBirth,
      sex: p.sex, ssn: p.ssn, memberId: p.memberId, addressLine1: p.addressLine1, city: p.city, state: p.state, postalCode: p.postalCode,
    });
    const requests = [];
    for (let i = 0; i < patients.length; i += options.batchSize) {
      requests.push({ url: graph.subgraphs['pop-health'].url, headers, query, variables: { rosterId: body.roster.id, patients: patients.slice(i, i + options.batchSize).map(input) } });
    }
    // Warm the roster cache the way a backfill's first batch does, then time every batch.
    await sendSequence(requests.slice(0, 1));
    const { seconds: matchSeconds, found: accepted } = await sendSequence(requests, '"accepted":true');
    return {
      rosterRows: roster.length, ingestSeconds, patients: patients.length, batchSize: options.batchSize,
      matchSeconds, patientsPerSecond: patients.length / matchSeconds, accepted,
    };
  } finally {
    await graph.close();
  }
}

export function rosterSpeedReport(r: RosterSpeed): string {
  const count = (n: number) => Math.round(n).toLocaleString('en-US');
  return [
    `Roster speed (embedded PGlite, through the running services)`,
    `  ingest ${count(r.rosterRows)} rows via POST /rosters: ${r.ingestSeconds.toFixed(2)} s (${count(r.rosterRows / r.ingestSeconds)} rows/s)`,
    `  match ${count(r.patients)} patients via matchPatients, batches of ${count(r.batchSize)}: ${r.matchSeconds.toFixed(2)} s = ${count(r.patientsPerSecond)} patients/s (${count(r.accepted)} accepted)`,
    `Targets: ingest ≤ 5 s → ${r.ingestSeconds <= 5 ? 'met' : 'NOT met'}; match ≥ 20,000 patients/s → ${r.patientsPerSecond >= 20_000 ? 'met' : 'NOT met'}.`,
  ].join('\n');
}
