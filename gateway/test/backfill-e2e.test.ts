/**
 * A backfill end to end through the gateway: started by an admin, walked page by page by the runner, its
 * associations written once and picked up exactly once by an integrator pulling since its last watermark
 * while the backfill runs (the BFD roster-change corner case: old care requests, new associations), every
 * observation of it a possible combination of lifecycle (pop-health) and progress (partners), then listed,
 * paged, reported in dataLoads and mailed. A dry run counts without writing; a cancel freezes the counts.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { eventually } from '../../scripts/eventually';
import { DATABASE_KINDS, type Graph, startGraph } from '../../scripts/in-process-graph';

const HEADER = 'member_id,first_name,middle_name,last_name,date_of_birth,sex,ssn,address_line1,city,state,zip';
const MEMBERS = 40;
const STRANGERS = 10;
const SSN = (i: number) => `6${String(20_000_000 + i * 7919).slice(-8)}`;
const DOB = (i: number) => `1958-03-${String((i % 28) + 1).padStart(2, '0')}`;
/** The window: 2026-02-01 to 2026-02-03 inclusive, i.e. createdAt in [2026-02-01T00:00Z, 2026-02-04T00:00Z). */
const WINDOW = { startDate: '2026-02-01', endDate: '2026-02-03' };
const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

const BACKFILL_FIELDS = 'id status phase startedAt finishedAt processed total matched created alreadyAssociated percent';

interface BackfillView {
  id: string;
  status: string;
  phase: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  processed: number;
  total: number | null;
  matched: number;
  created: number;
  alreadyAssociated: number;
  percent: number | null;
}

/** What must hold of every single observation of a backfill, whichever subgraph wrote which field last. */
function impossibleIn(view: BackfillView): string[] {
  const faults: string[] = [];
  const says = (fault: string) => faults.push(`${fault}: ${JSON.stringify(view)}`);
  if (view.status === 'PENDING' || view.status === 'INGESTING') {
    if (view.startedAt || view.finishedAt) says(`${view.status} with startedAt/finishedAt`);
    if (view.processed !== 0) says(`${view.status} with processed > 0`);
  }
  if (view.status === 'RUNNING') {
    if (!view.startedAt) says('RUNNING without startedAt');
    if (view.finishedAt) says('RUNNING after finishedAt');
  }
  if (TERMINAL.has(view.status) && !view.finishedAt) says(`${view.status} without finishedAt`);
  if (view.status === 'COMPLETED' && (view.total === null || view.processed !== view.total || view.percent !== 100)) {
    says('COMPLETED with processed < total');
  }
  if (view.total !== null && view.processed > view.total) says('processed > total');
  if (view.matched < view.created + view.alreadyAssociated) says('matched < created + alreadyAssociated');
  return faults;
}

describe.each(DATABASE_KINDS)('a backfill through the gateway on %s', (kind) => {
  let graph: Graph;
  let admin: Awaited<ReturnType<Graph['as']>>;

  const gql = async <T>(query: string, variables?: Record<string, unknown>): Promise<T> => {
    const response = await graph.post(admin, query, variables);
    if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
    return response.body.data as T;
  };
  const view = async (id: string) =>
    (await gql<{ backfill: BackfillView }>(`query($id: ID!) { backfill(id: $id) { ${BACKFILL_FIELDS} } }`, { id })).backfill;

  /** A partner with a BACKFILL roster of the members; returns its id, the roster's and memberId → roster patient id. */
  async function partnerWithRoster(name: string) {
    const { createPartner } = await gql<{ createPartner: { id: string } }>(
      'mutation($n: String!) { createPartner(input: { name: $n }) { id } }',
      { n: name },
    );
    const rows = Array.from({ length: MEMBERS }, (_, i) => `E${i},Member${i},,Family${i},${DOB(i)},F,${SSN(i)},,,,`);
    const { ingestRoster } = await gql<{ ingestRoster: { id: string; status: string } }>(
      'mutation($i: IngestRosterInput!) { ingestRoster(input: $i) { id status } }',
      {
        i: {
          partnerId: createPartner.id,
          kind: 'BACKFILL',
          fileName: `${name.toLowerCase().replaceAll(' ', '-')}.csv`,
          content: [HEADER, ...rows].join('\n'),
        },
      },
    );
    await eventually('the roster is READY', async () => {
      const { roster } = await gql<{ roster: { status: string } }>('query($id: ID!) { roster(id: $id) { status } }', {
        id: ingestRoster.id,
      });
      return roster.status === 'READY';
    });
    const { roster } = await gql<{ roster: { patients: { edges: { node: { id: string; memberId: string } }[] } } }>(
      'query($id: ID!) { roster(id: $id) { patients(first: 100) { edges { node { id memberId } } } } }',
      { id: ingestRoster.id },
    );
    const members = new Map(roster.patients.edges.map(({ node }) => [node.memberId, node.id]));
    return { partnerId: createPartner.id, rosterId: ingestRoster.id, members };
  }

  async function startBackfill(input: Record<string, unknown>) {
    return (
      await gql<{ startBackfill: BackfillView }>(`mutation($i: StartBackfillInput!) { startBackfill(input: $i) { ${BACKFILL_FIELDS} } }`, {
        i: input,
      })
    ).startBackfill;
  }

  /** The backfill once it ended and its finish is done (phase DONE: data load closed, email sent). */
  async function finished(id: string, deadlineMs = 60_000): Promise<BackfillView> {
    let last: BackfillView | undefined;
    await eventually(`backfill ${id} ends`, async () => TERMINAL.has((last = await view(id)).status) && last.phase === 'DONE', {
      deadlineMs,
      intervalMs: 50,
    });
    return last!;
  }

  beforeAll(async () => {
    graph = await startGraph(kind);
    admin = await graph.as('admin', undefined, 'ops@example.org');
    const patient = (i: number, id: string) => ({
      id,
      givenName: `Member${i}`,
      familyName: `Family${i}`,
      dateOfBirth: DOB(i),
      sex: 'F',
      ssn: SSN(i),
    });
    const inWindow = Date.UTC(2026, 1, 1);
    const records = [
      // Every member once inside the window, spread over its three days.
      ...Array.from({ length: MEMBERS }, (_, i) => ({
        id: `cr-e2e-${String(i).padStart(2, '0')}`,
        createdAt: new Date(inWindow + i * 100 * 60_000 + 1).toISOString(),
        status: 'COMPLETED',
        patient: patient(i, `pt-e2e-${i}`),
      })),
      ...Array.from({ length: STRANGERS }, (_, i) => ({
        id: `cr-e2e-stranger-${i}`,
        createdAt: new Date(inWindow + i * 3_600_000).toISOString(),
        status: 'COMPLETED',
        patient: { id: `pt-e2e-stranger-${i}`, givenName: 'Ysolde', familyName: `Quarry${i}`, dateOfBirth: '1999-09-09', sex: 'M' },
      })),
      // Members' visits just outside the window, on both sides (the end is exclusive).
      { id: 'cr-e2e-before', createdAt: '2026-01-31T23:59:59.999Z', status: 'COMPLETED', patient: patient(0, 'pt-e2e-0') },
      { id: 'cr-e2e-after', createdAt: '2026-02-04T00:00:00.000Z', status: 'COMPLETED', patient: patient(1, 'pt-e2e-1') },
    ];
    await gql('mutation($r: [CareRequestImportInput!]!) { importCareRequests(records: $r) { created } }', { r: records });
  });
  afterAll(() => graph?.close());

  it('writes each match once, keeps what existed, and an integrator pulling since its watermark sees each new association exactly once', async () => {
    const { partnerId, rosterId, members } = await partnerWithRoster('Window Plan');
    // The partner already has care request 07 (entered by hand): the backfill keeps it and counts it.
    await graph.subgraphs.partners.database.client.partnerAssociation.create({
      data: { partnerId, careRequestId: 'cr-e2e-07', source: 'MANUAL', lastUpdated: new Date() },
    });

    const pullQuery = `query($p: ID!, $since: PartialDateTime, $after: String) { partner(id: $p) {
      associations(lastUpdated: { gt: $since }, first: 7, after: $after) {
        edges { node { id source careRequest { id } } } pageInfo { hasNextPage endCursor } transactionTime } } }`;
    type Pull = {
      partner: {
        associations: {
          edges: { node: { id: string; source: string; careRequest: { id: string } } }[];
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
          transactionTime: string;
        };
      };
    };
    const seen = new Map<string, number>();
    let watermark = '1970-01-01T00:00:00.000Z';
    const pullOnce = async () => {
      let after: string | null = null;
      let last = watermark;
      do {
        const page: Pull['partner']['associations'] = (await gql<Pull>(pullQuery, { p: partnerId, since: watermark, after })).partner
          .associations;
        for (const { node } of page.edges) seen.set(node.id, (seen.get(node.id) ?? 0) + 1);
        after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
        last = page.transactionTime;
      } while (after);
      watermark = last;
    };
    await pullOnce();

    const started = await startBackfill({ partnerId, rosterId, ...WINDOW, batchSize: 5, idempotencyKey: 'window-plan-1' });
    expect(['PENDING', 'RUNNING']).toContain(started.status);
    expect((await startBackfill({ partnerId, rosterId, ...WINDOW, batchSize: 5, idempotencyKey: 'window-plan-1' })).id).toBe(started.id);

    // While it runs: the integrator keeps pulling, and every observation of the backfill is a possible one.
    const faults: string[] = [];
    const observations: BackfillView[] = [];
    let done: BackfillView | undefined;
    while (!done) {
      const now = await view(started.id);
      faults.push(...impossibleIn(now));
      if (observations.length && now.processed < observations.at(-1)!.processed) faults.push(`processed went back: ${JSON.stringify(now)}`);
      observations.push(now);
      await pullOnce();
      if (TERMINAL.has(now.status)) done = now;
    }
    await pullOnce();
    expect(faults).toEqual([]);
    expect(observations.some((o) => o.status === 'RUNNING' && o.processed > 0 && o.processed < MEMBERS + STRANGERS)).toBe(true);

    expect(done).toMatchObject({
      status: 'COMPLETED',
      total: MEMBERS + STRANGERS,
      processed: MEMBERS + STRANGERS,
      matched: MEMBERS,
      created: MEMBERS - 1,
      alreadyAssociated: 1,
      percent: 100,
    });

    // Each association was pulled exactly once; the backfill's are exactly the window's members but the kept one.
    expect([...seen.values()].filter((times) => times !== 1)).toEqual([]);
    const rows = await graph.subgraphs.partners.database.client.partnerAssociation.findMany({ where: { partnerId } });
    expect(seen.size).toBe(rows.length);
    const written = rows.filter((row) => row.backfillId === started.id);
    const expected = Array.from({ length: MEMBERS }, (_, i) => i)
      .filter((i) => i !== 7)
      .map((i) => `cr-e2e-${String(i).padStart(2, '0')} ${members.get(`E${i}`)}`)
      .sort();
    expect(written.map((row) => `${row.careRequestId} ${row.rosterPatientId}`).sort()).toEqual(expected);
    expect(rows.find((row) => row.careRequestId === 'cr-e2e-07')).toMatchObject({ source: 'MANUAL', backfillId: null });

    // The backfill's associations, paged, with their match and its explanation.
    const pageQuery = `query($id: ID!, $after: String) { backfill(id: $id) { associations(first: 10, after: $after) {
      edges { node { id source careRequest { id } rosterPatient { id } match { score grade explanation { summary total runnerUp { rosterPatientId rosterPatient { id } } } } } }
      pageInfo { hasNextPage endCursor } } } }`;
    type AssociationPage = {
      backfill: {
        associations: {
          edges: {
            node: {
              id: string;
              source: string;
              match: {
                grade: string;
                explanation: {
                  summary: string;
                  total: number;
                  runnerUp: { rosterPatientId: string; rosterPatient: { id: string } } | null;
                };
              };
            };
          }[];
          pageInfo: { hasNextPage: boolean; endCursor: string };
        };
      };
    };
    const listed: AssociationPage['backfill']['associations']['edges'][number]['node'][] = [];
    let after: string | null = null;
    do {
      const page: AssociationPage['backfill']['associations'] = (await gql<AssociationPage>(pageQuery, { id: started.id, after })).backfill
        .associations;
      listed.push(...page.edges.map((edge) => edge.node));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(new Set(listed.map((node) => node.id))).toEqual(new Set(written.map((row) => row.id)));
    for (const node of listed) {
      expect(node.source).toBe('BACKFILL');
      expect(['CERTAIN', 'PROBABLE']).toContain(node.match.grade);
      expect(node.match.explanation.summary).toEqual(expect.any(String));
      // The stored runner-up resolves to its roster member through the gateway, from the id stored.
      const runnerUp = node.match.explanation.runnerUp;
      if (runnerUp) expect(runnerUp.rosterPatient.id).toBe(runnerUp.rosterPatientId);
    }

    // Listed on its roster and among the partner's completed backfills; in dataLoads once; mailed once.
    const lists = await gql<{
      roster: { backfills: { edges: { node: { id: string } }[] } };
      completed: { edges: { node: { id: string } }[] };
      running: { edges: unknown[] };
    }>(
      `query($r: ID!, $p: ID!) { roster(id: $r) { backfills(first: 10) { edges { node { id } } } }
        completed: backfills(partnerId: $p, status: [COMPLETED]) { edges { node { id } } }
        running: backfills(partnerId: $p, status: [PENDING, INGESTING, RUNNING]) { edges { node { id } } } }`,
      { r: rosterId, p: partnerId },
    );
    expect(lists.roster.backfills.edges.map((e) => e.node.id)).toEqual([started.id]);
    expect(lists.completed.edges.map((e) => e.node.id)).toEqual([started.id]);
    expect(lists.running.edges).toEqual([]);
    let loads: { kind: string; status: string; recordCount: number; source: string | null }[] = [];
    await eventually('the backfill is listed in dataLoads', async () => {
      const data = await gql<{ dataLoads: { edges: { node: (typeof loads)[number] }[] } }>(
        '{ dataLoads(first: 100) { edges { node { kind status recordCount source } } } }',
      );
      loads = data.dataLoads.edges.map((e) => e.node).filter((load) => load.kind === 'BACKFILL');
      return loads.length > 0;
    });
    expect(loads).toEqual([{ kind: 'BACKFILL', status: 'COMPLETED', recordCount: MEMBERS - 1, source: 'window-plan.csv' }]);
    let mail = '';
    await eventually('the email is in the outbox', async () => {
      const found = await findFile(graph.dataDir, `${started.id}.eml`);
      if (found) mail = await readFile(found, 'utf8');
      return !!found;
    });
    expect(mail).toContain('window-plan.csv');
    expect(mail).toContain('COMPLETED');
    expect(mail).not.toContain(SSN(3));
  });

  it('a dry run counts everything, keeps a sample and writes nothing', async () => {
    const { partnerId, rosterId } = await partnerWithRoster('Dry Plan');
    const before = await graph.subgraphs.partners.database.client.partnerAssociation.count({ where: { partnerId } });
    const started = await startBackfill({ partnerId, rosterId, ...WINDOW, batchSize: 20, dryRun: true });
    const done = await finished(started.id);
    expect(done).toMatchObject({ status: 'COMPLETED', processed: MEMBERS + STRANGERS, matched: MEMBERS, created: 0 });
    const { backfill } = await gql<{ backfill: { dryRun: boolean; matchSample: unknown[]; associations: { edges: unknown[] } } }>(
      'query($id: ID!) { backfill(id: $id) { dryRun matchSample { careRequest { id } } associations(first: 5) { edges { cursor } } } }',
      { id: started.id },
    );
    expect(backfill.dryRun).toBe(true);
    expect(backfill.matchSample.length).toBeGreaterThan(0);
    expect(backfill.associations.edges).toEqual([]);
    expect(await graph.subgraphs.partners.database.client.partnerAssociation.count({ where: { partnerId } })).toBe(before);
  });

  it('refuses an overlapping second backfill while one runs, and a cancel freezes the counts', async () => {
    const { partnerId, rosterId } = await partnerWithRoster('Cancel Plan');
    const started = await startBackfill({ partnerId, rosterId, ...WINDOW, batchSize: 1 });
    const overlap = await graph.post(admin, 'mutation($i: StartBackfillInput!) { startBackfill(input: $i) { id } }', {
      i: { partnerId, rosterId, startDate: '2026-02-03', endDate: '2026-02-05' },
    });
    expect(overlap.body.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', backfillId: started.id });

    await eventually('a few pages are written', async () => (await view(started.id)).processed >= 3, { deadlineMs: 30_000 });
    await gql('mutation($id: ID!) { cancelBackfill(id: $id) { id status } }', { id: started.id });
    const cancelled = await finished(started.id);
    expect(cancelled.status).toBe('CANCELLED');
    expect(cancelled.processed).toBeLessThan(MEMBERS + STRANGERS);
    await eventually(
      'no partition of the run is leased',
      async () =>
        (await graph.subgraphs.partners.database.client.backfillPartition.count({
          where: { backfillId: started.id, leaseOwner: { not: null } },
        })) === 0,
    );
    const after = await view(started.id);
    expect(after).toEqual(cancelled);
    expect(await graph.subgraphs.partners.database.client.partnerAssociation.count({ where: { backfillId: started.id } })).toBe(
      cancelled.created,
    );
    const second = await gql<{ cancelBackfill: unknown }>('mutation($id: ID!) { cancelBackfill(id: $id) { id } }', {
      id: started.id,
    }).catch((error: Error) => error.message);
    expect(second).toContain('CONFLICT');
  });
});

/** The path of the file named `name` under `dir`, searched depth first, or null. */
async function findFile(dir: string, name: string): Promise<string | null> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isFile() && entry.name === name) return full;
    if (entry.isDirectory()) {
      const found = await findFile(full, name);
      if (found) return found;
    }
  }
  return null;
}
