/**
 * The backfill runner end to end against the real services: startBackfillRun (service) splits the window into
 * partitions, the runner works them and completes the run with exactly the associations a straight
 * matchPatients of the same patients gives; the start is idempotent; a cancel freezes the counts; transient
 * faults show on the run and recover, permanent ones fail it; the outcome is reported until acknowledged;
 * progress events are monotone, coalesced and end with the terminal one, sent once pop-health acknowledged the outcome.
 */
import type { ClientOptions } from '@care-graph/operations';
import { type CallService, createLogger, InternalAuth, internalSigner, ServiceCallError, serviceClient } from '@care-graph/service-kit';
import { DATABASE_KINDS, type Graph, startGraph } from '../../../scripts/in-process-graph';
import { type BackfillProgressEvent, progressTopic } from '../src/backfill-runner/progress-events';
import { type BackfillRunner, runnerSettings, startBackfillRunner } from '../src/backfill-runner/runner';
import { BackfillWindowPageDocument } from '../src/generated/calls/care-requests';
import { MatchBackfillPageDocument } from '../src/generated/calls/pop-health';

const HEADER = 'member_id,first_name,middle_name,last_name,date_of_birth,sex,ssn,address_line1,city,state,zip';
const MEMBERS = 200;
const STRANGERS = 50;
const SSN = (i: number) => `5${String(10_000_000 + i * 7919).slice(-8)}`;
const DOB = (i: number) => `1961-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`;
const DAY = Date.UTC(2026, 2, 1);
const WINDOW = { from: new Date(DAY).toISOString(), until: new Date(DAY + 86_400_000).toISOString() };

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe.each(DATABASE_KINDS)('backfill runner on %s', (kind) => {
  let graph: Graph;
  let partnerId: string;
  let rosterId: string;
  let client: ReturnType<typeof serviceClient>;
  /** Calls partners directly as the pop-health service does. */
  let asService: ClientOptions;
  let runner: BackfillRunner | null = null;
  /** Called before each call the runner makes: throw to make that call fail, return a value to answer it instead. */
  let fault: (service: string, operation: string) => unknown = () => undefined;
  let serial = 0;

  const prisma = () => graph.subgraphs.partners.database.client;
  const START = `mutation($input: StartBackfillRunInput!) { startBackfillRun(input: $input) {
    id processed total matched created alreadyAssociated percent ratePerSecond etaSeconds lastError attempts } }`;

  function startRunner(env: Record<string, string> = {}) {
    const callService: CallService = async (service, document, variables, options) => {
      const operation = (document.definitions[0] as { name?: { value: string } }).name?.value ?? '';
      const answer = fault(service, operation);
      return answer === undefined ? client.call(service, document, variables, options) : (answer as never);
    };
    runner = startBackfillRunner({
      prisma: prisma(),
      transaction: graph.subgraphs.partners.database.directTransaction,
      clock: graph.subgraphs.partners.clock,
      callService,
      logger: createLogger('partners-test', { LOG_LEVEL: 'error' }),
      idleQuery: graph.subgraphs.partners.database.uncountedQuery,
      settings: runnerSettings({ BACKFILL_POLL_MS: '50', BACKFILL_LEASE_MS: '10000', BACKFILL_CONCURRENCY: '2', ...env }),
      events: graph.subgraphs.partners.events,
    });
  }

  beforeAll(async () => {
    // The graph's own runner is off: each test starts one whose calls it can make fail.
    graph = await startGraph(kind, { env: { BACKFILL_RUNNER: 'off', BACKFILL_PARTITION_SIZE: '60' } });
    const admin = await graph.as('admin');
    const created = await graph.post(admin, 'mutation { createPartner(input: { name: "Runner Plan" }) { id } }');
    partnerId = (created.body.data as { createPartner: { id: string } }).createPartner.id;
    const rows = Array.from({ length: MEMBERS }, (_, i) => `R${i},Given${i},,Family${i},${DOB(i)},F,${SSN(i)},,,,`);
    const roster = await graph.post(admin, 'mutation($i: IngestRosterInput!) { ingestRoster(input: $i) { id } }', {
      i: { partnerId, kind: 'BACKFILL', fileName: 'runner.csv', content: [HEADER, ...rows].join('\n') },
    });
    rosterId = (roster.body.data as { ingestRoster: { id: string } }).ingestRoster.id;
    const records = [
      ...Array.from({ length: MEMBERS }, (_, i) => ({
        id: `cr-r-${String(i).padStart(3, '0')}`,
        createdAt: new Date(DAY + i * 300_000).toISOString(),
        status: 'COMPLETED',
        patient: { id: `pt-r-${i}`, givenName: `Given${i}`, familyName: `Family${i}`, dateOfBirth: DOB(i), sex: 'F', ssn: SSN(i) },
      })),
      ...Array.from({ length: STRANGERS }, (_, i) => ({
        id: `cr-r-stranger-${i}`,
        createdAt: new Date(DAY + i * 1_000_000).toISOString(),
        status: 'COMPLETED',
        patient: { id: `pt-r-stranger-${i}`, givenName: 'Zed', familyName: `Quill${i}`, dateOfBirth: '2001-03-03', sex: 'M' },
      })),
    ];
    const imported = await graph.post(admin, 'mutation($r: [CareRequestImportInput!]!) { importCareRequests(records: $r) { created } }', {
      r: records,
    });
    expect(imported.body.errors).toBeUndefined();
    const internalAuth = new InternalAuth(new TextEncoder().encode(graph.env.INTERNAL_AUTH_SECRET!));
    const urls: Record<string, string> = Object.fromEntries(Object.entries(graph.subgraphs).map(([name, s]) => [name, s.url]));
    client = serviceClient({ name: 'partners', internalAuth, serviceUrl: (service) => urls[service] });
    asService = {
      url: graph.subgraphs.partners.url,
      sign: internalSigner(internalAuth, { subject: 'pop-health', role: 'service' }, 'partners'),
    };
  });
  afterEach(async () => {
    await runner?.stop();
    runner = null;
    fault = () => undefined;
  });
  afterAll(() => graph?.close());

  async function start(overrides: Record<string, unknown> = {}) {
    serial += 1;
    const backfillId = `bf-runner-${kind}-${serial}`;
    await prisma().partnerAssociation.deleteMany({ where: { partnerId } });
    const input = {
      backfillId,
      partnerId,
      rosterId,
      window: WINDOW,
      batchSize: 25,
      acceptGrades: ['CERTAIN', 'PROBABLE'],
      dryRun: false,
      ...overrides,
    };
    const { body } = await graph.post(asService, START, { input });
    return {
      backfillId,
      input,
      body: body as { data?: { startBackfillRun: Record<string, unknown> }; errors?: { extensions?: { code?: string } }[] },
    };
  }
  const run = (backfillId: string) => prisma().backfillRun.findUniqueOrThrow({ where: { backfillId } });
  const associations = async (backfillId: string) =>
    (await prisma().partnerAssociation.findMany({ where: { backfillId }, orderBy: { careRequestId: 'asc' } })).map(
      (a) => `${a.careRequestId}→${a.rosterPatientId}`,
    );

  it('completes a run over every partition with the associations of a straight matchPatients, counted exactly', async () => {
    const events: BackfillProgressEvent[] = [];
    const { backfillId, body } = await start();
    expect(body.errors).toBeUndefined();
    expect(body.data?.startBackfillRun).toMatchObject({ id: backfillId, total: MEMBERS + STRANGERS, processed: 0, percent: 0 });
    const subscription = await graph.subgraphs.partners.events.subscribe<BackfillProgressEvent>(progressTopic(backfillId));
    const collecting = (async () => {
      for await (const event of subscription) {
        events.push(event);
        if (event.status !== 'RUNNING') break;
      }
    })();
    expect(await prisma().backfillPartition.count({ where: { backfillId } })).toBe(Math.ceil((MEMBERS + STRANGERS) / 60));
    startRunner();
    const done = await waitFor('the run to complete', async () => {
      const row = await run(backfillId);
      return row.status === 'COMPLETED' && row;
    });
    expect(done).toMatchObject({ processed: 250, total: 250, matched: MEMBERS, created: MEMBERS, alreadyAssociated: 0, lastError: null });
    expect(done.finishedAt).not.toBeNull();

    // The same patients matched in one straight call.
    const page = await client.call('care-requests', BackfillWindowPageDocument, { window: WINDOW, after: null, first: 1000 });
    const { matchPatients } = await client.call('pop-health', MatchBackfillPageDocument, {
      rosterId,
      patients: page.careRequestsCreated.careRequests.map(({ id, patient }) => ({
        id,
        givenName: patient.givenName,
        familyName: patient.familyName,
        dateOfBirth: patient.dateOfBirth,
        sex: patient.sex,
        sealedSsn: patient.sealedSsn,
      })),
    });
    const straight = matchPatients
      .filter((m) => m.rosterPatientId && (m.grade === 'CERTAIN' || m.grade === 'PROBABLE'))
      .map((m) => `${m.patientId}→${m.rosterPatientId}`)
      .sort();
    expect(await associations(backfillId)).toEqual(straight);

    // pop-health's finishBackfill does not acknowledge a backfill it never started: unreported, still offered,
    // and no terminal progress event yet — it goes out once pop-health has recorded the outcome, here once the
    // test answers for pop-health.
    expect((await run(backfillId)).outcomeReportedAt).toBeNull();
    expect(events.filter((e) => e.status !== 'RUNNING')).toEqual([]);
    fault = (_service, operation) => (operation === 'FinishBackfill' ? { finishBackfill: { id: 'acknowledged' } } : undefined);
    await waitFor('the terminal event after the acknowledgement', async () => events.at(-1)?.status === 'COMPLETED');
    await collecting;
    expect((await run(backfillId)).outcomeReportedAt).not.toBeNull();
    const processed = events.map((e) => e.processed);
    expect(processed).toEqual([...processed].sort((x, y) => x - y));
    expect(events.at(-1)).toMatchObject({ status: 'COMPLETED', processed: 250, percent: 100 });
    expect(events.filter((e) => e.status !== 'RUNNING')).toHaveLength(1);
    const running = events.filter((e) => e.status === 'RUNNING');
    for (let i = 4; i < running.length; i += 1) {
      expect(running[i].at.getTime() - running[i - 4].at.getTime()).toBeGreaterThanOrEqual(900); // at most 4 a second
    }

    const { body: progress } = await graph.post(
      asService,
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Backfill { processed total percent etaSeconds
        associations(first: 1000) { edges { node { id } } } } } }`,
      { r: [{ __typename: 'Backfill', id: backfillId }] },
    );
    const entity = (
      progress.data as {
        _entities: { processed: number; percent: number; etaSeconds: number | null; associations: { edges: unknown[] } }[];
      }
    )._entities[0];
    expect(entity).toMatchObject({ processed: 250, percent: 100, etaSeconds: null });
    expect(entity.associations.edges).toHaveLength(MEMBERS);
  });

  it('starts a run once per backfill, also when asked concurrently, and validates its input', async () => {
    serial += 1;
    const backfillId = `bf-runner-${kind}-${serial}`;
    const input = { backfillId, partnerId, rosterId, window: WINDOW, batchSize: 25, acceptGrades: ['CERTAIN'], dryRun: false };
    const answers = await Promise.all([1, 2, 3].map(() => graph.post(asService, START, { input })));
    for (const answer of answers) expect(answer.body.errors).toBeUndefined();
    expect(await prisma().backfillRun.count({ where: { backfillId } })).toBe(1);
    expect(await prisma().backfillPartition.count({ where: { backfillId } })).toBe(5);
    const again = await graph.post(asService, START, {
      input: { ...input, batchSize: 999 },
    });
    expect(again.body.errors).toBeUndefined();
    expect((await run(backfillId)).batchSize).toBe(25);

    for (const [field, bad] of [
      ['batchSize', { batchSize: 0 }],
      ['batchSize', { batchSize: 5001 }],
      ['acceptGrades', { acceptGrades: [] }],
      ['window', { window: { from: WINDOW.until, until: WINDOW.from } }],
    ] as const) {
      const { body } = await graph.post(asService, START, {
        input: { ...input, backfillId: `${backfillId}-bad`, ...bad },
      });
      expect(body.errors?.[0].extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: `input.${field}`,
      });
    }
    await prisma().backfillRun.update({ where: { backfillId }, data: { status: 'CANCELLED', outcomeReportedAt: new Date() } });
  });

  it('completes an empty window at once', async () => {
    const { backfillId, body } = await start({ window: { from: '2020-01-01T00:00:00.000Z', until: '2020-01-02T00:00:00.000Z' } });
    expect(body.data?.startBackfillRun).toMatchObject({ total: 0, percent: 100 });
    expect(await run(backfillId)).toMatchObject({ status: 'COMPLETED', total: 0 });
    await prisma().backfillRun.update({ where: { backfillId }, data: { outcomeReportedAt: new Date() } });
  });

  it('freezes the counts once cancelBackfillRun answers, while pages are being written', async () => {
    const { backfillId } = await start({ batchSize: 5 });
    startRunner({ BACKFILL_CONCURRENCY: '3' });
    await waitFor('some pages', async () => (await run(backfillId)).processed >= 20);
    const { body } = await graph.post(
      asService,
      'mutation($id: ID!) { cancelBackfillRun(backfillId: $id) { processed matched created alreadyAssociated } }',
      { id: backfillId },
    );
    const answered = (body.data as { cancelBackfillRun: Record<string, number> }).cancelBackfillRun;
    // Let the runner try its next pages (every slot reaches a page boundary), then compare.
    await waitFor(
      'the leases to be released',
      async () => (await prisma().backfillPartition.count({ where: { backfillId, leaseOwner: { not: null } } })) === 0,
    );
    const after = await run(backfillId);
    expect(after.status).toBe('CANCELLED');
    expect({
      processed: after.processed,
      matched: after.matched,
      created: after.created,
      alreadyAssociated: after.alreadyAssociated,
    }).toEqual(answered);
    expect(await associations(backfillId)).toHaveLength(answered.created);
    expect(answered.processed).toBeLessThan(250);
    // Cancelling again answers the same counts; an unknown backfill is NOT_FOUND.
    const again = await graph.post(asService, 'mutation($id: ID!) { cancelBackfillRun(backfillId: $id) { processed } }', {
      id: backfillId,
    });
    expect((again.body.data as { cancelBackfillRun: { processed: number } }).cancelBackfillRun.processed).toBe(answered.processed);
    const unknown = await graph.post(asService, 'mutation { cancelBackfillRun(backfillId: "no-such-backfill") { processed } }');
    expect((unknown.body.errors as { extensions: { code: string } }[])[0].extensions.code).toBe('NOT_FOUND');
  });

  it('shows a transient fault with its attempts, recovers from it, and reports the outcome once acknowledged', async () => {
    let failures = 3;
    let reports = 0;
    fault = (service, operation) => {
      if (operation === 'MatchBackfillPage' && failures > 0) {
        failures -= 1;
        throw new ServiceCallError(service, 'pop-health answered 503', 503);
      }
      if (operation === 'FinishBackfill') {
        reports += 1;
        if (reports <= 2) throw new ServiceCallError(service, 'pop-health did not answer in time');
        return { finishBackfill: { id: 'acknowledged' } };
      }
    };
    const { backfillId } = await start();
    startRunner({ BACKFILL_CONCURRENCY: '1' });
    const faulted = await waitFor('the fault to show', async () => {
      const row = await run(backfillId);
      return row.attempts >= 2 && row;
    });
    expect(faulted.lastError).toContain('503');
    expect(faulted.status).toBe('RUNNING');
    const done = await waitFor('the run to complete', async () => {
      const row = await run(backfillId);
      return row.status === 'COMPLETED' && row;
    });
    expect(done).toMatchObject({ processed: 250, created: MEMBERS, lastError: null, attempts: 0 });
    // Offered again after each failure, stamped once pop-health acknowledges it, and then never offered again.
    await waitFor('the outcome to be acknowledged', async () => (await run(backfillId)).outcomeReportedAt);
    expect(reports).toBe(3);
  });

  it('fails the run with a sentence when a callee refuses for good, and reports it', async () => {
    const reported: unknown[] = [];
    fault = (service, operation) => {
      if (operation === 'MatchBackfillPage') {
        throw new ServiceCallError(service, 'refused', 200, [{ message: 'No READY roster r-1.', extensions: { code: 'NOT_FOUND' } }]);
      }
      if (operation === 'FinishBackfill') {
        reported.push(operation);
        return { finishBackfill: { id: 'acknowledged' } };
      }
    };
    const { backfillId } = await start();
    startRunner();
    const failed = await waitFor('the run to fail', async () => {
      const row = await run(backfillId);
      return row.status === 'FAILED' && row;
    });
    expect(failed.error).toBe('pop-health refused the roster: No READY roster r-1.');
    expect(failed.finishedAt).not.toBeNull();
    await waitFor('the failure to be reported', async () => reported.length > 0);
  });
});
