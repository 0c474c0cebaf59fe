/**
 * Backfills across kills and restarts of real processes (issue 11, points 4 and 5): partners SIGKILLed at random
 * moments of a run; a power cut of `npm start`; pop-health killed between "finished processing" and "marked
 * complete"; two partners instances on PostgreSQL sharing one backfill, one killed mid-partition. Each ends with
 * exactly the associations of an uninterrupted run of the same data (an in-process graph on in-memory PGlite,
 * nothing killed), its counts consistent, one data load and one email.
 *
 * Random moments come from `TEST_SEED` (default fixed, so that CI runs agree); a failure names the seed.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DEMO_PARTNERS, DEMO_ROSTER } from '@care-graph/demo-data';
import { seededRandom } from '@care-graph/matching';
import type { ClientOptions } from '@care-graph/operations';
import { signDevToken } from '@care-graph/service-kit';
import { Client as PgClient } from 'pg';
import { freshPostgresDatabase } from '../../scripts/in-process-graph';
import {
  type BackfillData,
  type BackfillState,
  backfillAssociations,
  backfillCompleted,
  backfillData,
  backfillDataLoads,
  backfillState,
  graphql,
  importRecords,
  loadBackfillData,
  outboxFiles,
  startBackfill,
  uninterruptedAssociations,
} from './backfill-harness';
import { createProcessGraph, type ProcessGraph, type ServiceProcess } from './graph-processes';
import { type ForwardedAnswer, startProxy, type TestProxy } from './http-proxy';
import { freePort, killGroup, type RunningProgram, startProgram, waitFor, within } from './processes';

// Several process starts (each a PGlite open) per test on 2 shared cores, beside other suites.
jest.setTimeout(600_000);

const SEED = Number(process.env.TEST_SEED ?? 20261211);
const NOTIFY = 'backfill-ops@example.test';
/** A run of a few thousand care requests, and each restart, takes seconds; these are for a loaded CI machine. */
const RUN_DEADLINE_MS = 240_000;
const PROGRESS_DEADLINE_MS = 120_000;
/**
 * A killed partners process leaves its partition claimed until the lease runs out (each life is a new lease owner);
 * the restarted one resumes after that. A 3 s lease instead of the default 30 s: the same path, ~80 s less a run.
 */
const RESTART_SETTINGS = { BACKFILL_LEASE_MS: '3000' };

/** Runs `body`; a failure names the seed that replays it. */
async function seeded(body: (random: () => number) => Promise<void>): Promise<void> {
  try {
    await body(seededRandom(SEED));
  } catch (error) {
    (error as Error).message = `${(error as Error).message}\n(replay with TEST_SEED=${SEED})`;
    throw error;
  }
}

/**
 * Waits until the backfill is RUNNING with processed ≥ `target` (and below total), checking that processed never
 * goes back (a checkpoint is never lost); fails at once if the run ends first, since a kill must land mid-run.
 */
async function progressReaches(client: ClientOptions, id: string, target: number, seen: number[]): Promise<BackfillState> {
  return waitFor(
    `backfill ${id} to process ${target} care requests`,
    PROGRESS_DEADLINE_MS,
    async () => {
      const state = await backfillState(client, id);
      const previous = seen.at(-1) ?? 0;
      if (state.processed < previous) {
        throw Object.assign(new Error(`processed went back from ${previous} to ${state.processed}: a written page was lost`), {
          fatal: true,
        });
      }
      seen.push(state.processed);
      if (state.status !== 'RUNNING' && state.status !== 'PENDING') {
        throw Object.assign(
          new Error(`backfill ${id} is ${state.status} before the kill at ${target}: make the run longer (${JSON.stringify(state)})`),
          {
            fatal: true,
          },
        );
      }
      return state.status === 'RUNNING' && state.processed >= target ? state : undefined;
    },
    50,
  );
}

/** The counts a finished backfill must show: processed = total = the window's care requests; created = its associations. */
function expectConsistent(done: BackfillState, total: number, associations: string[]) {
  expect(new Set(associations.map((pair) => pair.split('→')[0])).size).toBe(associations.length);
  expect({ processed: done.processed, total: done.total, created: done.created, matched: done.matched }).toEqual({
    processed: total,
    total,
    created: associations.length,
    matched: associations.length + done.alreadyAssociated,
  });
  expect(done.finishedAt).not.toBeNull();
  expect(done.error).toBeNull();
}

describe('partners SIGKILLed at random moments of a run, restarted on the same data', () => {
  const BATCH = 50;
  let graph: ProcessGraph;
  let data: BackfillData;
  let admin: ClientOptions;
  let loaded: { partnerId: string; rosterId: string };

  beforeAll(async () => {
    data = backfillData(SEED, { rosterSize: 1200, careRequests: 3000 });
    graph = await createProcessGraph({ env: { partners: RESTART_SETTINGS, 'pop-health': { BACKFILL_NOTIFY_EMAILS: NOTIFY } } });
    await graph.start();
    admin = await graph.as('admin');
    loaded = await loadBackfillData(admin, data, { partnerName: 'Kill Plan', fileName: 'kill-roster.csv' });
  });
  afterAll(() => graph?.close());

  it('the harness: four processes, each on its own data directory, keep the loaded data across a SIGKILL of partners', async () => {
    expect(new Set(Object.values(graph.services).map((s) => s.dataDir)).size).toBe(4);
    const before = await graphql<{ partner: { name: string } }>(admin, 'partner', 'query($id: ID!) { partner(id: $id) { name } }', {
      id: loaded.partnerId,
    });
    await graph.services.partners.kill();
    expect(graph.services.partners.running).toBe(false);
    await graph.services.partners.start();
    const after = await graphql<{ partner: { name: string } }>(admin, 'partner', 'query($id: ID!) { partner(id: $id) { name } }', {
      id: loaded.partnerId,
    });
    expect(after).toEqual(before);
    const { careRequests } = await graphql<{ careRequests: { edges: unknown[] } }>(
      admin,
      'careRequests',
      '{ careRequests(first: 1000) { edges { cursor } } }',
    );
    expect(careRequests.edges).toHaveLength(1000);
  });

  it('resumes from its checkpoint after each kill and ends with exactly the associations of an uninterrupted run', async () => {
    await seeded(async (random) => {
      const id = await startBackfill(admin, { ...loaded, startDate: data.startDate, endDate: data.endDate, batchSize: BATCH });
      // Three kills spread over the run, each after processed moved past the previous one by at least a page.
      const fractions = [0.1 + random() * 0.2, 0.4 + random() * 0.15, 0.65 + random() * 0.15];
      const seen: number[] = [];
      let killedAt = 0;
      for (const fraction of fractions) {
        const target = Math.max(Math.floor(data.inWindow * fraction), killedAt + BATCH);
        const state = await progressReaches(admin, id, target, seen);
        await graph.services.partners.kill();
        killedAt = state.processed;
        await graph.services.partners.start();
      }
      const done = await backfillCompleted(admin, id, RUN_DEADLINE_MS);
      const associations = await backfillAssociations(admin, loaded.partnerId, id);
      expectConsistent(done, data.inWindow, associations);
      expect(associations).toEqual(await uninterruptedAssociations(data, BATCH));
      expect(outboxFiles(graph.services['pop-health'].dataDir, id)).toEqual([`${id}.eml`]);
    });
  });
});

/** True once nothing accepts connections on `port` any more. */
function nobodyListens(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('a power cut of npm start (every process of the supervisor SIGKILLed at once)', () => {
  let dataDir: string;
  let supervisor: RunningProgram;
  let lives: RunningProgram[];
  let admin: ClientOptions;
  const ports: Record<string, number> = {};
  let env: NodeJS.ProcessEnv;

  const start = async () => {
    supervisor = startProgram('tools/src/supervisor.ts', env, { detached: true });
    lives.push(supervisor);
    await within('the ready banner', 180_000, supervisor.printed('Care Graph is ready'));
  };
  const powerCut = async () => {
    await killGroup(supervisor);
    for (const port of Object.values(ports)) await waitFor(`port ${port} to be free`, 30_000, () => nobodyListens(port));
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'care-graph-power-cut-'));
    for (const name of ['GATEWAY', 'CARE_REQUESTS', 'POP_HEALTH', 'PARTNERS']) ports[name] = await freePort();
    env = { ...process.env };
    for (const name of Object.keys(env)) if (name.endsWith('_DATABASE_URL') || name.startsWith('BACKFILL_')) delete env[name];
    for (const name of ['NODE_ENV', 'CARE_GRAPH_MODE', 'INTERNAL_AUTH_SECRET', 'AUTH_JWKS_URL', 'AUTH_ISSUER', 'SMTP_URL'])
      delete env[name];
    Object.assign(env, {
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      BACKFILL_NOTIFY_EMAILS: NOTIFY,
      ...RESTART_SETTINGS,
      ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [`${name}_PORT`, String(port)])),
    });
    lives = [];
    await start();
    admin = {
      url: `http://127.0.0.1:${ports.GATEWAY}/graphql`,
      token: await signDevToken(dataDir, { subject: 'power-cut', role: 'admin' }),
    };
  });
  afterAll(async () => {
    for (const life of lives) await killGroup(life);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('the harness: the whole graph comes back on the same data directory, its demo data seeded once', async () => {
    await powerCut();
    await start();
    expect(lives.map((life) => life.output().match(/seeded demo data/g)?.length ?? 0)).toEqual([3, 0]);
    const { roster } = await graphql<{ roster: { rowCount: number; status: string } }>(
      admin,
      'roster',
      'query($id: ID!) { roster(id: $id) { rowCount status } }',
      { id: DEMO_ROSTER.id },
    );
    expect(roster).toEqual({ rowCount: 1200, status: 'READY' });
  });

  it('an unfinished backfill resumes by itself after the power cut and completes once, with one email', async () => {
    await seeded(async (random) => {
      const today = new Date().toISOString().slice(0, 10);
      const yearAgo = new Date(Date.now() - 366 * 86_400_000).toISOString().slice(0, 10);
      const id = await startBackfill(admin, {
        partnerId: DEMO_PARTNERS[0].id,
        rosterId: DEMO_ROSTER.id,
        startDate: yearAgo,
        endDate: today,
        batchSize: 50,
      });
      const running = await progressReaches(admin, id, 1, []);
      const target = Math.floor(running.total! * (0.1 + random() * 0.4));
      const before = await progressReaches(admin, id, target, []);
      await powerCut();
      await start();
      const done = await backfillCompleted(admin, id, RUN_DEADLINE_MS);
      expect(done.processed).toBeGreaterThanOrEqual(before.processed);
      const associations = await backfillAssociations(admin, DEMO_PARTNERS[0].id, id);
      expectConsistent(done, before.total!, associations);
      expect(outboxFiles(dataDir, id)).toEqual([`${id}.eml`]);
      expect(await backfillDataLoads(admin, DEMO_ROSTER.fileName)).toEqual([expect.objectContaining({ recordCount: done.created })]);
    });
  });
});

describe('pop-health killed between "finished processing" and "marked complete"', () => {
  let graph: ProcessGraph;
  let proxy: TestProxy;
  let admin: ClientOptions;
  let data: BackfillData;
  /** What the proxy does with the next finishBackfill: (a) forward, then kill pop-health and drop; (b) kill pop-health and drop. */
  let nextFinish: 'a' | 'b' | undefined;
  const finishes: { what: 'recorded, then dropped' | 'dropped unrecorded' | 'answered'; status?: number; body: string }[] = [];

  const popHealth = () => graph.services['pop-health'];

  beforeAll(async () => {
    proxy = await startProxy(
      () => popHealth().port,
      async (request) => {
        if (!request.body.includes('finishBackfill')) return false;
        const armed = nextFinish;
        nextFinish = undefined;
        if (armed === 'a') {
          const answer = await request.forward();
          // Killed before the test hears of it, so that it restarts a stopped pop-health.
          await popHealth().kill();
          finishes.push({ what: 'recorded, then dropped', status: answer.status, body: request.body });
          request.drop();
        } else if (armed === 'b') {
          await popHealth().kill();
          finishes.push({ what: 'dropped unrecorded', body: request.body });
          request.drop();
        } else {
          const answer: ForwardedAnswer = await request.forward();
          finishes.push({ what: 'answered', status: answer.status, body: request.body });
          request.answer(answer);
        }
        return true;
      },
    );
    graph = await createProcessGraph({ popHealthUrlForPartners: proxy.url, env: { 'pop-health': { BACKFILL_NOTIFY_EMAILS: NOTIFY } } });
    await graph.start();
    admin = await graph.as('admin');
    data = backfillData(SEED + 2, { rosterSize: 300, careRequests: 600 });
    // One set of care requests; each case backfills it for a partner of its own.
    await importRecords(admin, data);
  });
  afterAll(async () => {
    await graph?.close();
    await proxy?.close();
  });

  it('the harness: the proxy forwards to pop-health and relays its answer, and answers 502 while pop-health is down', async () => {
    const readyz = (url: string) =>
      fetch(url.replace('/graphql', '/readyz')).then(async (r) => ({ status: r.status, body: await r.text() }));
    const direct = await readyz(popHealth().url);
    expect(direct.status).toBe(200);
    expect(await readyz(proxy.url)).toEqual(direct);
    await popHealth().kill();
    expect((await readyz(proxy.url)).status).toBe(502);
    await popHealth().start();
    expect((await readyz(proxy.url)).status).toBe(200);
  });

  for (const [kase, what] of [
    ['a', 'pop-health recorded the finish but partners never heard'],
    ['b', 'pop-health was killed before the finish reached it'],
  ] as const) {
    it(`(${kase}) ${what}: partners retries, the backfill is COMPLETED once, one data load, one email`, async () => {
      const fileName = `finish-${kase}.csv`;
      const loaded = await loadBackfillData(admin, data, { partnerName: `Finish Plan ${kase}`, fileName, importCareRequests: false });
      nextFinish = kase;
      const id = await startBackfill(admin, { ...loaded, startDate: data.startDate, endDate: data.endDate, batchSize: 50 });
      const interrupted = await waitFor(`the proxy to cut the finish of ${id}`, RUN_DEADLINE_MS, () =>
        finishes.find((f) => f.what !== 'answered' && f.body.includes(id)),
      );
      if (kase === 'a') expect(interrupted.status).toBe(200);
      await popHealth().start();
      const done = await backfillCompleted(admin, id, RUN_DEADLINE_MS);
      // partners heard an answer in the end: a later finishBackfill of this backfill was answered.
      await waitFor(`partners to have its finish of ${id} acknowledged`, RUN_DEADLINE_MS, () =>
        finishes.some((f) => f.what === 'answered' && f.status === 200 && f.body.includes(id)),
      );
      const associations = await backfillAssociations(admin, loaded.partnerId, id);
      expectConsistent(done, data.inWindow, associations);
      expect((await backfillState(admin, id)).finishedAt).toBe(done.finishedAt);
      expect(await backfillDataLoads(admin, fileName)).toEqual([
        expect.objectContaining({ status: 'COMPLETED', recordCount: done.created }),
      ]);
      const files = outboxFiles(popHealth().dataDir, id);
      expect(files).toEqual([`${id}.eml`]);
      // One file could hide a second send that overwrote it: pop-health logs each send, across its lives.
      const sends = popHealth()
        .output()
        .split('\n')
        .filter((line) => line.includes('sent the email about a finished backfill') && line.includes(id));
      expect(sends).toHaveLength(1);
      const message = readFileSync(path.join(popHealth().dataDir, 'outbox', files[0]), 'utf8');
      expect(message).toContain(NOTIFY);
      expect(message).toContain(fileName);
    });
  }
});

const POSTGRES = process.env.TEST_POSTGRES_URL;

/** Each partners process's partition claims, from its log lines ("claimed backfill partition" with owner and partitionId). */
function claims(instance: ServiceProcess): { owner: string; partitionId: string }[] {
  return instance
    .output()
    .split('\n')
    .filter((line) => line.includes('claimed backfill partition'))
    .map((line) => JSON.parse(line) as { owner: string; partitionId: string });
}

if (POSTGRES) {
  describe('two partners instances on one PostgreSQL database share a backfill', () => {
    const BATCH = 50;
    let graph: ProcessGraph;
    let data: BackfillData;
    let admin: ClientOptions;
    let instances: ServiceProcess[];
    let partnersDb: PgClient;
    const drops: (() => Promise<void>)[] = [];

    beforeAll(async () => {
      const databases = Object.fromEntries(
        await Promise.all(
          (['care-requests', 'pop-health', 'partners'] as const).map(async (name) => {
            const database = await freshPostgresDatabase(POSTGRES, `cg_procs_${name}`);
            drops.push(database.drop);
            return [name, database.url];
          }),
        ),
      );
      const backfillSettings = { BACKFILL_PARTITION_SIZE: '250', BACKFILL_LEASE_MS: '3000', BACKFILL_POLL_MS: '200' };
      graph = await createProcessGraph({
        databaseUrls: databases,
        env: { partners: backfillSettings, 'pop-health': { BACKFILL_NOTIFY_EMAILS: NOTIFY } },
      });
      await graph.start();
      // The second instance after the first has migrated the shared database.
      const second = await graph.addPartners();
      await second.start();
      instances = graph.partners;
      partnersDb = new PgClient({ connectionString: databases.partners });
      await partnersDb.connect();
      admin = await graph.as('admin');
      data = backfillData(SEED + 4, { rosterSize: 800, careRequests: 2200 });
    });
    afterAll(async () => {
      await partnersDb?.end();
      await graph?.close();
      for (const drop of drops) await drop();
    });

    it('the harness: two partners instances, own ports and data directories, serve one PARTNERS database', async () => {
      expect(instances.map((i) => i.running)).toEqual([true, true]);
      expect(new Set(instances.map((i) => i.port)).size).toBe(2);
      expect(instances[0].env.PARTNERS_DATABASE_URL).toBe(instances[1].env.PARTNERS_DATABASE_URL);
      const { createPartner } = await graphql<{ createPartner: { id: string } }>(
        admin,
        'createPartner',
        'mutation { createPartner(input: { name: "Shared Plan" }) { id } }',
      );
      const { rows } = await partnersDb.query('SELECT name FROM "Partner" WHERE id = $1', [createPartner.id]);
      expect(rows).toEqual([{ name: 'Shared Plan' }]);
    });

    it('both claim partitions; one killed mid-partition, the other takes it over after the lease; exactly an uninterrupted run', async () => {
      await seeded(async (random) => {
        const loaded = await loadBackfillData(admin, data, { partnerName: 'Two Instances Plan', fileName: 'two-instances.csv' });
        const id = await startBackfill(admin, { ...loaded, startDate: data.startDate, endDate: data.endDate, batchSize: BATCH });
        await waitFor('both instances to claim a partition', PROGRESS_DEADLINE_MS, () => instances.every((i) => claims(i).length > 0));
        const victim = instances[Math.floor(random() * 2)];
        const survivor = instances.find((i) => i !== victim)!;
        const victimOwners = new Set(claims(victim).map((c) => c.owner));
        expect(victimOwners.size).toBeGreaterThan(0);
        expect(claims(survivor).some((c) => victimOwners.has(c.owner))).toBe(false);
        // Mid-partition: the victim holds a live lease on a partition that has a checkpoint and is not done.
        const held = await waitFor(
          `${[...victimOwners]} to be mid-partition`,
          PROGRESS_DEADLINE_MS,
          async () => {
            const { rows } = await partnersDb.query<{ id: string; processed: number }>(
              `SELECT id, processed FROM "BackfillPartition"
             WHERE "backfillId" = $1 AND NOT done AND checkpoint IS NOT NULL AND "leaseOwner" = ANY($2) AND "leaseExpiresAt" > now()`,
              [id, [...victimOwners]],
            );
            return rows[0];
          },
          20,
        );
        await victim.kill();
        const done = await backfillCompleted(admin, id, RUN_DEADLINE_MS);
        expect(claims(survivor).some((c) => c.partitionId === held.id)).toBe(true);
        const { rows: partitions } = await partnersDb.query<{ count: number; processed: number; done: number }>(
          'SELECT count(*)::int AS count, sum(processed)::int AS processed, count(*) FILTER (WHERE done)::int AS done FROM "BackfillPartition" WHERE "backfillId" = $1',
          [id],
        );
        expect(partitions[0].count).toBeGreaterThanOrEqual(6);
        expect(partitions[0]).toEqual({ count: partitions[0].count, processed: data.inWindow, done: partitions[0].count });
        const associations = await backfillAssociations(admin, loaded.partnerId, id);
        expectConsistent(done, data.inWindow, associations);
        expect(associations).toEqual(await uninterruptedAssociations(data, BATCH));
      });
    });
  });
}
