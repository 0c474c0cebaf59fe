/**
 * The roster benchmark's client, on a worker thread of its own (a separate program in real use): it makes
 * its own synthetic roster and patients, so that none of its data sits in the services' heap, uploads the
 * roster file, then sends the matching batches and times both. See roster.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { generateSynthetic, type PersonInput } from '@care-graph/matching';
import { InternalAuth, internalSigner } from '@care-graph/service-kit';
import { rosterCsv, sendBatches, uploadRoster } from './lib';

export interface RosterClientJob {
  rows: number;
  batchSize: number;
  inflight: number;
  upload: { url: string; headers: Record<string, string> };
  /** pop-health's GraphQL URL, and the internal secret the worker signs each batch's token with (one token per body). */
  match: { url: string; headers: Record<string, string>; secret: Uint8Array; query: string };
}

export type RosterClientMessage =
  | { log: string }
  | {
      result: {
        ingestSeconds: number;
        acceptedRows: number;
        serialSeconds: number;
        matchSeconds: number;
        matchCpuSeconds: number;
        accepted: number;
      };
    }
  | { error: string };

/** Sends the matching batches (see `sendBatches`) and counts the accepted matches in the answers. */
async function sendAll(job: RosterClientJob, bodies: string[], inflight: number) {
  let accepted = 0;
  const sign = internalSigner(new InternalAuth(job.match.secret), { subject: 'bench', role: 'service' }, 'pop-health');
  const timing = await sendBatches({ ...job.match, sign }, bodies, inflight, (text) => {
    accepted += text.split('"accepted":true').length - 1;
  });
  return { ...timing, accepted };
}

async function run(job: RosterClientJob): Promise<RosterClientMessage> {
  const { roster, patients } = generateSynthetic({ rosterSize: job.rows, patients: job.rows, seed: 3 });

  // The partner's file, written out before the clock starts (a real upload sends a file from disk).
  const stored = await uploadRoster(job.upload, rosterCsv(roster));
  const ingestSeconds = stored.seconds;
  parentPort!.postMessage({
    log: `  ingested ${stored.acceptedCount.toLocaleString('en-US')} roster rows in ${ingestSeconds.toFixed(2)} s`,
  });

  const input = (p: PersonInput) => ({
    id: p.id,
    givenName: p.givenName,
    middleName: p.middleName,
    familyName: p.familyName,
    dateOfBirth: p.dateOfBirth,
    sex: p.sex,
    ssn: p.ssn,
    memberId: p.memberId,
    addressLine1: p.addressLine1,
    city: p.city,
    state: p.state,
    postalCode: p.postalCode,
  });
  const bodies: string[] = [];
  for (let i = 0; i < patients.length; i += job.batchSize) {
    bodies.push(
      JSON.stringify({
        query: job.match.query,
        variables: { rosterId: stored.id, patients: patients.slice(i, i + job.batchSize).map(input) },
      }),
    );
  }
  // The first batch loads the roster into the matching threads, as a backfill's first batch does; then
  // every batch is timed, one at a time, then with the next sent while the previous answer is on its way.
  await sendAll(job, bodies.slice(0, 1), 1);
  const serial = await sendAll(job, bodies, 1);
  const pipelined = await sendAll(job, bodies, job.inflight);
  if (serial.accepted !== pipelined.accepted)
    throw new Error(`the two passes disagree: ${serial.accepted} vs ${pipelined.accepted} accepted`);
  return {
    result: {
      ingestSeconds,
      acceptedRows: stored.acceptedCount,
      serialSeconds: serial.seconds,
      matchSeconds: pipelined.seconds,
      matchCpuSeconds: pipelined.cpuSeconds,
      accepted: pipelined.accepted,
    },
  };
}

if (parentPort && workerData?.job) {
  run(workerData.job as RosterClientJob).then(
    (message) => parentPort!.postMessage(message),
    (error: Error) => parentPort!.postMessage({ error: error.stack ?? error.message }),
  );
}
