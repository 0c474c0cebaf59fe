/**
 * Roster speed through the running services: ingest a 100,000-row roster through the gateway's streamed
 * `POST /rosters`, then match 100,000 patients against it with `matchPatients` in batches (as the backfill
 * runner will), measured from a client in a worker thread (the runner is a service of its own). The first
 * batch is sent once untimed: it loads the roster into the index cache, as a backfill's first batch does.
 * Targets: ingest ≤ 5 s; match ≥ 20,000 patients/s.
 */
import os from 'node:os';
import path from 'node:path';
import { CreatePartnerDocument, MatchPatientsBriefDocument } from '@care-graph/operations';
import { internalSecret, tsWorker } from '@care-graph/service-kit';
import { print } from 'graphql';
import { startInProcessGraph } from '../scripts/in-process-graph';
import { BENCH_ENV } from './lib';
import type { RosterClientJob, RosterClientMessage } from './roster-client';

export interface RosterSpeed {
  rosterRows: number;
  ingestSeconds: number;
  patients: number;
  batchSize: number;
  /** Batches outstanding at once in the timed pass. */
  inflight: number;
  /** The same batches one at a time. */
  serialPatientsPerSecond: number;
  matchSeconds: number;
  patientsPerSecond: number;
  /** CPU time per patient in the timed pass, all threads of the process (services and client) together. */
  cpuMicrosPerPatient: number;
  accepted: number;
  /** Embedded databases on disk (as `npm start`) rather than in memory. */
  onDisk: boolean;
  /** PostgreSQL databases instead of embedded ones. */
  postgres: boolean;
}

export async function runRosterSpeed(options: {
  rows: number;
  batchSize: number;
  inflight: number;
  onDisk: boolean;
  postgres?: string;
  log: (line: string) => void;
}): Promise<RosterSpeed> {
  process.env.LOG_LEVEL ??= 'warn';
  const graph = await startInProcessGraph({ onDisk: options.onDisk, postgres: options.postgres, env: BENCH_ENV });
  try {
    const { createPartner } = await graph.run('admin', CreatePartnerDocument, { input: { name: 'Speed Partner' } });
    // Matching goes straight to the subgraph, as the partners service's backfill runner calls it.
    const secret = await internalSecret(graph.env, graph.dataDir);
    const job: RosterClientJob = {
      rows: options.rows,
      batchSize: options.batchSize,
      inflight: options.inflight,
      upload: {
        url: `${graph.url.replace('/graphql', '/rosters')}?partnerId=${createPartner.id}&kind=BACKFILL&fileName=speed.csv`,
        headers: { 'content-type': 'text/csv', authorization: `Bearer ${await graph.token('admin')}` },
      },
      match: {
        url: graph.subgraphs['pop-health'].url,
        headers: {},
        secret,
        query: print(MatchPatientsBriefDocument),
      },
    };
    const client = tsWorker(path.join(__dirname, 'roster-client.ts'), { workerData: { job } });
    try {
      const result = await new Promise<Extract<RosterClientMessage, { result: unknown }>['result']>((resolve, reject) => {
        client.on('message', (message: RosterClientMessage) => {
          if ('log' in message) options.log(message.log);
          if ('result' in message) resolve(message.result);
          if ('error' in message) reject(new Error(message.error));
        });
        client.on('error', reject);
      });
      return {
        rosterRows: result.acceptedRows,
        ingestSeconds: result.ingestSeconds,
        patients: options.rows,
        batchSize: options.batchSize,
        inflight: options.inflight,
        serialPatientsPerSecond: options.rows / result.serialSeconds,
        matchSeconds: result.matchSeconds,
        patientsPerSecond: options.rows / result.matchSeconds,
        cpuMicrosPerPatient: (result.matchCpuSeconds * 1e6) / options.rows,
        accepted: result.accepted,
        onDisk: options.onDisk,
        postgres: Boolean(options.postgres),
      };
    } finally {
      await client.terminate();
    }
  } finally {
    await graph.close();
  }
}

export function rosterSpeedReport(r: RosterSpeed): string {
  const count = (n: number) => Math.round(n).toLocaleString('en-US');
  return [
    `Roster speed (${r.postgres ? 'PostgreSQL' : `embedded PGlite ${r.onDisk ? 'on disk, as npm start keeps it' : 'in memory'}`}, through the running services)`,
    `  ingest ${count(r.rosterRows)} rows via POST /rosters: ${r.ingestSeconds.toFixed(2)} s (${count(r.rosterRows / r.ingestSeconds)} rows/s)`,
    `  match ${count(r.patients)} patients via matchPatients, batches of ${count(r.batchSize)}, one at a time: ${count(r.serialPatientsPerSecond)} patients/s`,
    `  match ${count(r.patients)} patients via matchPatients, batches of ${count(r.batchSize)}, ${r.inflight} in flight: ${r.matchSeconds.toFixed(2)} s = ${count(r.patientsPerSecond)} patients/s (${count(r.accepted)} accepted)`,
    `    CPU ${r.cpuMicrosPerPatient.toFixed(1)} µs a patient, all threads (services and client; ${os.availableParallelism()} cores can give ${count((os.availableParallelism() * 1e6) / r.cpuMicrosPerPatient)}/s at most)`,
    `Targets: ingest ≤ 5 s → ${r.ingestSeconds <= 5 ? 'met' : 'NOT met'}; match ≥ 20,000 patients/s → ${r.patientsPerSecond >= 20_000 ? 'met' : 'NOT met'}.`,
  ].join('\n');
}
