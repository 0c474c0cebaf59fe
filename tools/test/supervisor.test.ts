/**
 * `npm start` as a user runs it: the supervisor starts four processes on a fresh data directory, seeds
 * the demo data, serves it through the gateway, and stops everything cleanly on Ctrl-C (SIGINT).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { post } from '@care-graph/operations';
import { repoRoot, SERVICE_NODE_FLAGS, signDevToken } from '@care-graph/service-kit';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves with `event`'s outcome, or rejects when `deadlineMs` passes first. */
function within<T>(what: string, deadlineMs: number, event: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), deadlineMs);
  });
  return Promise.race([event, deadline]).finally(() => clearTimeout(timer));
}

describe('npm start (embedded supervisor)', () => {
  let dataDir: string;
  let supervisor: ChildProcess;
  let output = '';
  let exited: Promise<number | null>;
  const ports: Record<string, number> = {};

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'care-graph-start-'));
    for (const name of ['GATEWAY', 'CARE_REQUESTS', 'POP_HEALTH', 'PARTNERS']) ports[name] = await freePort();
    supervisor = spawn(process.execPath, [path.join(repoRoot, 'scripts', 'run-ts.js'), 'tools/src/supervisor.ts'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'info',
        ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [`${name}_PORT`, String(port)])),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    exited = new Promise((resolve) => supervisor.once('exit', (code) => resolve(code)));
    const ready = new Promise<void>((resolve, reject) => {
      const collect = (chunk: Buffer) => {
        output += chunk;
        if (output.includes('Care Graph is ready')) resolve();
      };
      supervisor.stdout!.on('data', collect);
      supervisor.stderr!.on('data', collect);
      void exited.then((code) => reject(new Error(`npm start exited with code ${code} before it was ready:\n${output}`)));
    });
    await within('the ready banner', 150_000, ready);
  });

  afterAll(async () => {
    if (supervisor.exitCode === null) supervisor.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('prints the gateway URL and how to get a token', () => {
    expect(output).toContain(`http://localhost:${ports.GATEWAY}/graphql`);
    expect(output).toContain('npm run token -- admin');
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
    expect(output).toContain('seeded demo data');
  });

  it('stops every service cleanly on SIGINT', async () => {
    supervisor.kill('SIGINT');
    expect(await within('the supervisor to exit', 30_000, exited)).toBe(0);
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
