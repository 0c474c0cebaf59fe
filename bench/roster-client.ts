/**
 * The roster benchmark's client, on a worker thread of its own (a separate program in real use): it makes
 * its own synthetic roster and patients, so that none of its data sits in the services' heap, uploads the
 * roster file, then sends the matching batches and times both. See roster.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { generateSynthetic, type PersonInput } from '@care-graph/matching';

export interface RosterClientJob {
  rows: number;
  batchSize: number;
  inflight: number;
  upload: { url: string; headers: Record<string, string> };
  match: { url: string; headers: Record<string, string>; query: string };
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

const csvCell = (value: string | null | undefined) => {
  const text = value ?? '';
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

async function post(url: string, headers: Record<string, string>, body: string): Promise<string> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await response.text();
  if (!response.ok || text.includes('"errors"')) throw new Error(`HTTP ${response.status}: ${text.slice(0, 300)}`);
  return text;
}

/**
 * Sends the bodies in order, `inflight` outstanding at a time; returns the time, the CPU time the whole
 * process spent meanwhile (every thread: the services' and this client's) and the accepted matches.
 */
async function sendAll(
  job: RosterClientJob,
  bodies: string[],
  inflight: number,
): Promise<{ seconds: number; cpuSeconds: number; accepted: number }> {
  let next = 0;
  let accepted = 0;
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  const lane = async () => {
    while (next < bodies.length) {
      const text = await post(job.match.url, job.match.headers, bodies[next++]);
      accepted += text.split('"accepted":true').length - 1;
    }
  };
  await Promise.all(Array.from({ length: inflight }, lane));
  const cpu = process.cpuUsage(cpuStart);
  return { seconds: seconds(start), cpuSeconds: (cpu.user + cpu.system) / 1e6, accepted };
}

async function run(job: RosterClientJob): Promise<RosterClientMessage> {
  const { roster, patients } = generateSynthetic({ rosterSize: job.rows, patients: job.rows, seed: 3 });

  // The partner's file, written out before the clock starts (a real upload sends a file from disk), then
  // streamed in 64 KiB chunks as `curl -T` would.
  const lines = ['member_id,first_name,middle_name,last_name,date_of_birth,sex,ssn,address_line1,city,state,zip'];
  for (const p of roster) {
    lines.push(
      [p.id, p.givenName, p.middleName, p.familyName, p.dateOfBirth, p.sex, p.ssn, p.addressLine1, p.city, p.state, p.postalCode]
        .map(csvCell)
        .join(','),
    );
  }
  const file = Buffer.from(`${lines.join('\n')}\n`);
  const uploadStart = process.hrtime.bigint();
  const stream = new ReadableStream({
    start(controller) {
      for (let i = 0; i < file.length; i += 65536) controller.enqueue(file.subarray(i, i + 65536));
      controller.close();
    },
  });
  const response = await fetch(job.upload.url, {
    method: 'POST',
    headers: job.upload.headers,
    body: stream,
    duplex: 'half',
  } as RequestInit);
  const text = await response.text();
  const ingestSeconds = seconds(uploadStart);
  if (response.status !== 201) throw new Error(`ingest failed: ${text.slice(0, 500)}`);
  const { roster: stored } = JSON.parse(text) as { roster: { id: string; acceptedCount: number } };
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
