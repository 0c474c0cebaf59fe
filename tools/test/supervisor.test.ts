/**
 * `npm start` as a user runs it: the supervisor starts four processes on a fresh data directory, seeds
 * the demo data, serves it through the gateway, and stops everything cleanly on Ctrl-C (SIGINT).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { post } from '@care-graph/operations';
import { repoRoot, SERVICE_NODE_FLAGS, signDevToken } from '@care-graph/service-kit';
import { freePort, type RunningProgram, startProgram, within } from './processes';

describe('npm start (embedded supervisor)', () => {
  let dataDir: string;
  let supervisor: RunningProgram;
  const ports: Record<string, number> = {};

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'care-graph-start-'));
    for (const name of ['GATEWAY', 'CARE_REQUESTS', 'POP_HEALTH', 'PARTNERS']) ports[name] = await freePort();
    supervisor = startProgram('tools/src/supervisor.ts', {
      ...process.env,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [`${name}_PORT`, String(port)])),
    });
    await within('the ready banner', 150_000, supervisor.printed('Care Graph is ready'));
  });

  afterAll(async () => {
    if (supervisor.process.exitCode === null) supervisor.process.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('prints the gateway URL and how to get a token', () => {
    expect(supervisor.output()).toContain(`http://localhost:${ports.GATEWAY}/graphql`);
    expect(supervisor.output()).toContain('npm run token -- admin');
  });

  it('serves the seeded demo data through the gateway', async () => {
    const token = await signDevToken(dataDir, { subject: 'test', role: 'admin' });
    const url = `http://127.0.0.1:${ports.GATEWAY}/graphql`;
    const { body } = await post(
      { url, token },
      `{
      partners { edges { node { name } } }
      careRequests(first: 1000) { edges { node { id } } pageInfo { hasNextPage } }
      roster(id: "6f1c2a3e-0000-4000-8000-0000000000a1") { rowCount partner { name } }
    }`,
    );
    expect(body.errors).toBeUndefined();
    const data = body.data as {
      partners: { edges: { node: { name: string } }[] };
      careRequests: { edges: unknown[]; pageInfo: { hasNextPage: boolean } };
      roster: { rowCount: number; partner: { name: string } };
    };
    expect(data.partners.edges.map((e) => e.node.name)).toContain('Front Range Health Plan');
    expect(data.careRequests.edges).toHaveLength(1000);
    expect(data.careRequests.pageInfo.hasNextPage).toBe(true);
    expect(data.roster).toEqual({ rowCount: 1200, partner: { name: 'Front Range Health Plan' } });
    expect(supervisor.output()).toContain('seeded demo data');
  });

  it('stops every service cleanly on SIGINT', async () => {
    supervisor.process.kill('SIGINT');
    expect(await within('the supervisor to exit', 30_000, supervisor.exited)).toBe(0);
    for (const port of Object.values(ports)) {
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    }
  });
});

describe('service node flags', () => {
  const scripts = (workspace: string): Record<string, string> =>
    JSON.parse(readFileSync(path.join(repoRoot, workspace, 'package.json'), 'utf8')).scripts;

  it('are passed by every way a service is started alone, and by the benchmarks that run the services', () => {
    const flags = SERVICE_NODE_FLAGS.join(' ');
    for (const workspace of ['gateway', 'subgraphs/care-requests', 'subgraphs/pop-health', 'subgraphs/partners']) {
      expect(scripts(workspace).start).toMatch(new RegExp(`^node ${flags} `));
    }
    expect(scripts('.').bench).toContain(`node ${flags} `);
    expect(scripts('.')['bench:matching']).toContain(`node ${flags} `);
  });
});
