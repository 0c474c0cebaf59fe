/**
 * What the backfill process tests share: seeded data (a BACKFILL roster and care requests whose patients are partly
 * its members, with the noise real feeds carry), loading it through the gateway, starting and watching a backfill,
 * and reading back what it wrote. The backfill operations use the names of /work/wt/BACKFILL-SPEC.md (issue 11).
 */
import { existsSync, readdirSync } from 'node:fs';
import { generateSynthetic, seededRandom } from '@care-graph/matching';
import { type ClientOptions, post } from '@care-graph/operations';
import { startInProcessGraph } from '../../scripts/in-process-graph';
import { waitFor } from './processes';

const ROSTER_HEADER = 'member_id,first_name,middle_name,last_name,date_of_birth,sex,ssn,address_line1,city,state,zip';
const DAY_MS = 86_400_000;

export interface BackfillData {
  rosterCsv: string;
  records: { id: string; createdAt: string; status: 'COMPLETED'; patient: Record<string, unknown> }[];
  /** The window, as startBackfill takes it, and how many of the records were created in it. */
  startDate: string;
  endDate: string;
  inWindow: number;
}

function csvCell(value: string | null | undefined): string {
  if (value === null || value === undefined) return '';
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * `careRequests` care requests (one patient each; ~70 % noisy copies of roster members, the rest strangers and
 * twins) created over the window [startDate, endDate] and a few days either side, and a roster of `rosterSize`;
 * the same for the same `seed`.
 */
export function backfillData(seed: number, { rosterSize, careRequests }: { rosterSize: number; careRequests: number }): BackfillData {
  const synthetic = generateSynthetic({ rosterSize, patients: careRequests, seed });
  const rand = seededRandom(seed + 1);
  const startDate = '2025-03-01';
  const endDate = '2025-03-28';
  const from = Date.parse(`${startDate}T00:00:00Z`);
  const until = Date.parse(`${endDate}T00:00:00Z`) + DAY_MS;
  // Member ids unique by construction: the sets compared across graphs name roster members by member id.
  const rosterCsv = [
    ROSTER_HEADER,
    ...synthetic.roster.map((m, i) =>
      [
        `MB${String(i).padStart(6, '0')}`,
        m.givenName,
        m.middleName,
        m.familyName,
        m.dateOfBirth,
        m.sex,
        m.ssn,
        m.addressLine1,
        m.city,
        m.state,
        m.postalCode,
      ]
        .map(csvCell)
        .join(','),
    ),
  ].join('\n');
  let inWindow = 0;
  const records = synthetic.patients.map((p, i) => {
    // One in ten outside the window (three days either side), to show the window's bounds hold.
    const outside = rand() < 0.1;
    const at = outside
      ? rand() < 0.5
        ? from - 1 - Math.floor(rand() * 3 * DAY_MS)
        : until + Math.floor(rand() * 3 * DAY_MS)
      : from + Math.floor(rand() * (until - from));
    if (!outside) inWindow += 1;
    const ssn = p.ssn && /^\d{9}$/.test(p.ssn) ? p.ssn : null;
    // A one-digit slip of the decade can put a birth after the care request, which the import rightly refuses (28 years:
    // a multiple of 4, so that 29 February stays a date).
    let dateOfBirth = p.dateOfBirth;
    while (dateOfBirth >= startDate) dateOfBirth = `${Number(dateOfBirth.slice(0, 4)) - 28}${dateOfBirth.slice(4)}`;
    return {
      id: `cr-bf-${String(i).padStart(6, '0')}`,
      createdAt: new Date(at).toISOString(),
      status: 'COMPLETED' as const,
      patient: {
        id: `pt-bf-${String(i).padStart(6, '0')}`,
        givenName: p.givenName,
        middleName: p.middleName ?? null,
        familyName: p.familyName,
        dateOfBirth,
        sex: p.sex,
        ssn,
        memberId: null,
        address: p.addressLine1 ? { line1: p.addressLine1, city: p.city, state: p.state, postalCode: p.postalCode } : null,
      },
    };
  });
  return { rosterCsv, records, startDate, endDate, inWindow };
}

/** `post` that throws on any GraphQL error (naming the operation), returning `data`. */
export async function graphql<T>(client: ClientOptions, what: string, query: string, variables?: unknown): Promise<T> {
  const { status, body } = await post(client, query, variables);
  if (body.errors?.length || !body.data) {
    throw new Error(`${what} failed (HTTP ${status}): ${JSON.stringify(body.errors ?? 'no data').slice(0, 1500)}`);
  }
  return body.data as T;
}

/** Creates a partner, ingests `data`'s roster for it (kind BACKFILL, as `fileName`) and, unless asked not to, imports the care requests. */
export async function loadBackfillData(
  client: ClientOptions,
  data: BackfillData,
  { partnerName, fileName, importCareRequests = true }: { partnerName: string; fileName: string; importCareRequests?: boolean },
): Promise<{ partnerId: string; rosterId: string }> {
  const { createPartner } = await graphql<{ createPartner: { id: string } }>(
    client,
    'createPartner',
    'mutation($name: String!) { createPartner(input: { name: $name }) { id } }',
    { name: partnerName },
  );
  const { ingestRoster } = await graphql<{ ingestRoster: { id: string; status: string; rejectedCount: number } }>(
    client,
    'ingestRoster',
    'mutation($i: IngestRosterInput!) { ingestRoster(input: $i) { id status rejectedCount } }',
    { i: { partnerId: createPartner.id, kind: 'BACKFILL', fileName, content: data.rosterCsv } },
  );
  if (ingestRoster.status !== 'READY' || ingestRoster.rejectedCount > 0) {
    throw new Error(`the seeded roster did not ingest cleanly: ${JSON.stringify(ingestRoster)}`);
  }
  if (importCareRequests) await importRecords(client, data);
  return { partnerId: createPartner.id, rosterId: ingestRoster.id };
}

/** Imports `data`'s care requests through the gateway's importCareRequests, 1,000 a call; every one must be created. */
export async function importRecords(client: ClientOptions, data: BackfillData): Promise<void> {
  for (let i = 0; i < data.records.length; i += 1000) {
    const { importCareRequests } = await graphql<{ importCareRequests: { created: number; rejected: unknown[] } }>(
      client,
      'importCareRequests',
      'mutation($r: [CareRequestImportInput!]!) { importCareRequests(records: $r) { created rejected { index reasons } } }',
      { r: data.records.slice(i, i + 1000) },
    );
    if (importCareRequests.rejected.length > 0) {
      throw new Error(`the seeded care requests were rejected: ${JSON.stringify(importCareRequests.rejected.slice(0, 5))}`);
    }
  }
}

export interface StartBackfillInput {
  partnerId: string;
  rosterId: string;
  startDate: string;
  endDate: string;
  batchSize?: number;
}

/** startBackfill (spec name) as an admin; its id. Says plainly when the gateway does not serve it yet. */
export async function startBackfill(client: ClientOptions, input: StartBackfillInput): Promise<string> {
  const { body } = await post(client, 'mutation($input: StartBackfillInput!) { startBackfill(input: $input) { id status } }', { input });
  const errors = body.errors ?? [];
  if (errors.some((e) => /Cannot query field "startBackfill"|Unknown type "StartBackfillInput"/.test(e.message))) {
    throw new Error(
      'startBackfill is not in the gateway schema yet: these steps run once pop-health\'s startBackfill (issue 11, the "lifecycle" helper) ' +
        `and the partners runner are merged and the supergraph composed. The harness itself (processes, kills, data, proxy) ran up to here. Errors: ${JSON.stringify(errors).slice(0, 500)}`,
    );
  }
  if (errors.length || !body.data) throw new Error(`startBackfill failed: ${JSON.stringify(errors).slice(0, 1500)}`);
  return (body.data as { startBackfill: { id: string } }).startBackfill.id;
}

export interface BackfillState {
  id: string;
  status: string;
  phase: string | null;
  processed: number;
  total: number | null;
  matched: number;
  created: number;
  alreadyAssociated: number;
  finishedAt: string | null;
  error: string | null;
  lastError: string | null;
}

/** The backfill as an admin sees it through the gateway (pop-health's and partners' fields); throws while a service is down. */
export async function backfillState(client: ClientOptions, id: string): Promise<BackfillState> {
  const { backfill } = await graphql<{ backfill: BackfillState | null }>(
    client,
    'backfill',
    `query($id: ID!) { backfill(id: $id) {
      id status phase processed total matched created alreadyAssociated finishedAt error lastError
    } }`,
    { id },
  );
  if (!backfill) throw new Error(`backfill ${id} not found`);
  return backfill;
}

const TERMINAL = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** Waits until the backfill is COMPLETED and its finish steps are done (phase DONE); fails at once on FAILED or CANCELLED. */
export async function backfillCompleted(client: ClientOptions, id: string, deadlineMs: number): Promise<BackfillState> {
  let last: BackfillState | undefined;
  return waitFor(
    `backfill ${id} to be COMPLETED with phase DONE (last seen: ${JSON.stringify(last)})`,
    deadlineMs,
    async () => {
      last = await backfillState(client, id);
      if (TERMINAL.includes(last.status) && last.status !== 'COMPLETED') {
        throw Object.assign(new Error(`backfill ${id} ended ${last.status}: ${JSON.stringify(last)}`), { fatal: true });
      }
      return last.status === 'COMPLETED' && last.phase === 'DONE' ? last : undefined;
    },
    200,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; last seen: ${JSON.stringify(last)}`);
  });
}

/**
 * The backfill's associations as `careRequestId→memberId` (sorted), read through the gateway from the partner's
 * associations (`backfill.id` and `source` tell which): member ids, not roster patient ids, so that two graphs
 * loaded with the same data compare. Each care request at most once is part of what it checks.
 */
export async function backfillAssociations(client: ClientOptions, partnerId: string, backfillId: string): Promise<string[]> {
  const pairs: string[] = [];
  let after: string | null = null;
  for (;;) {
    type Page = {
      partner: {
        associations: {
          edges: {
            node: {
              source: string;
              careRequest: { id: string };
              rosterPatient: { memberId: string } | null;
              backfill: { id: string } | null;
            };
          }[];
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
        };
      };
    };
    const page: Page = await graphql<Page>(
      client,
      'partner.associations',
      `query($id: ID!, $after: String) { partner(id: $id) { associations(first: 1000, after: $after) {
        edges { node { source careRequest { id } rosterPatient { memberId } backfill { id } } }
        pageInfo { hasNextPage endCursor }
      } } }`,
      { id: partnerId, after },
    );
    for (const { node } of page.partner.associations.edges) {
      if (node.backfill?.id !== backfillId) continue;
      if (node.source !== 'BACKFILL')
        throw new Error(`association of ${node.careRequest.id} names backfill ${backfillId} but has source ${node.source}`);
      pairs.push(`${node.careRequest.id}→${node.rosterPatient?.memberId ?? '(no roster patient)'}`);
    }
    if (!page.partner.associations.pageInfo.hasNextPage) break;
    after = page.partner.associations.pageInfo.endCursor;
  }
  return pairs.sort();
}

/** The finished data loads of kind BACKFILL whose source is `source` (the roster's file name). */
export async function backfillDataLoads(
  client: ClientOptions,
  source: string,
): Promise<{ id: string; status: string; recordCount: number }[]> {
  const { dataLoads } = await graphql<{
    dataLoads: { edges: { node: { id: string; kind: string; source: string | null; status: string; recordCount: number } }[] };
  }>(client, 'dataLoads', '{ dataLoads(first: 1000) { edges { node { id kind source status recordCount } } } }');
  return dataLoads.edges
    .map((e) => e.node)
    .filter((load) => load.kind === 'BACKFILL' && load.source === source)
    .map(({ id, status, recordCount }) => ({ id, status, recordCount }));
}

/** The files of `<dataDir>/outbox` that belong to `backfillId` (its message, and any temporary file left behind). */
export function outboxFiles(dataDir: string, backfillId: string): string[] {
  const outbox = `${dataDir}/outbox`;
  return existsSync(outbox)
    ? readdirSync(outbox)
        .filter((name) => name.includes(backfillId))
        .sort()
    : [];
}

/**
 * The associations an uninterrupted backfill of `data` writes: the same data in a fresh in-process graph (in-memory
 * PGlite, nothing killed), the same window and batch size, run to COMPLETED.
 */
export async function uninterruptedAssociations(data: BackfillData, batchSize: number): Promise<string[]> {
  const graph = await startInProcessGraph();
  try {
    const admin = await graph.as('admin');
    const { partnerId, rosterId } = await loadBackfillData(admin, data, { partnerName: 'Reference Plan', fileName: 'reference.csv' });
    const id = await startBackfill(admin, { partnerId, rosterId, startDate: data.startDate, endDate: data.endDate, batchSize });
    const done = await backfillCompleted(admin, id, 180_000);
    expect({ processed: done.processed, total: done.total }).toEqual({ processed: data.inWindow, total: data.inWindow });
    return await backfillAssociations(admin, partnerId, id);
  } finally {
    await graph.close();
  }
}
