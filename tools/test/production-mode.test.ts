/**
 * Production mode refuses what only embedded mode may do — tried on real processes as an operator starts
 * them: a service, the gateway, `npm start` and the token CLI, each with what production means
 * (NODE_ENV=production, a `<SERVICE>_DATABASE_URL`) and without the settings production needs.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '@care-graph/service-kit';
import { freePort, type RunningProgram, startProgram, within } from './processes';

const SECRET = 'a-shared-secret-of-at-least-32-characters';
const HINT = 'or set CARE_GRAPH_MODE=embedded to run with the dev key and a per-host secret under DATA_DIR.';
/** A refusal happens before anything listens or opens a database: well within this. */
const REFUSAL_DEADLINE_MS = 60_000;
const START_DEADLINE_MS = 120_000;

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'care-graph-mode-'));
});
afterEach(() => rm(dataDir, { recursive: true, force: true }));

/** The messages of a process's output: each JSON log line's `message` (and `detail`), each other line as it is. */
function messages(output: string): string {
  return output
    .split('\n')
    .map((line) => {
      try {
        const entry = JSON.parse(line) as { message: string; detail?: string };
        return entry.detail === undefined ? entry.message : `${entry.message}: ${entry.detail}`;
      } catch {
        return line;
      }
    })
    .join('\n');
}

/** The test process's environment without anything that decides the mode or stands in for a production setting. */
function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['NODE_ENV', 'CARE_GRAPH_MODE', 'INTERNAL_AUTH_SECRET', 'AUTH_JWKS_URL', 'AUTH_ISSUER']) delete env[name];
  for (const name of Object.keys(env)) if (name.endsWith('_DATABASE_URL')) delete env[name];
  return { ...env, DATA_DIR: dataDir, SEED_DEMO_DATA: 'false', LOG_LEVEL: 'info', ...extra };
}

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

const running: RunningProgram[] = [];
afterEach(async () => {
  for (const program of running.splice(0)) {
    if (program.process.exitCode === null && program.process.signalCode === null) program.process.kill('SIGKILL');
    await program.exited;
  }
});

/** Starts `entry` on a free port, then waits for it to exit; returns its exit code, its output and the port. */
async function refusal(entry: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string; port: number }> {
  const port = await freePort();
  const program = startProgram(entry, cleanEnv({ ...env, PORT: String(port) }));
  running.push(program);
  const code = await within(`${entry} to exit`, REFUSAL_DEADLINE_MS, program.exited);
  return { code, output: messages(program.output()), port };
}

/** Starts `entry` on a free port and waits until its /healthz answers 200; stops it with SIGTERM, expecting exit 0. */
async function startsAndStops(entry: string, env: NodeJS.ProcessEnv): Promise<void> {
  const port = await freePort();
  const program = startProgram(entry, cleanEnv({ ...env, PORT: String(port) }));
  running.push(program);
  await within(`${entry} to listen`, START_DEADLINE_MS, program.printed('"listening"'));
  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  expect(health.status).toBe(200);
  program.process.kill('SIGTERM');
  expect(await within(`${entry} to stop`, 30_000, program.exited)).toBe(0);
}

const PARTNERS = 'subgraphs/partners/src/main.ts';
const GATEWAY = 'gateway/src/main.ts';

describe('a subgraph service in production mode', () => {
  it('without INTERNAL_AUTH_SECRET exits non-zero with one message naming it and why production, having opened nothing', async () => {
    const { code, output, port } = await refusal(PARTNERS, { NODE_ENV: 'production' });
    expect(code).toBe(1);
    expect(output).toContain(
      'Production mode (NODE_ENV=production) needs INTERNAL_AUTH_SECRET (32+ characters shared by every service). Set it, ',
    );
    expect(output).toContain(HINT);
    expect(output.match(/Production mode/g)).toHaveLength(1);
    expect(await nobodyListens(port)).toBe(true);
    expect(await readdir(dataDir)).toEqual([]); // no database, no dev secret
  });

  it('is what PARTNERS_DATABASE_URL alone means: refused before the database is reached', async () => {
    // Port 1 has no PostgreSQL: reaching the database would fail with a connection error instead.
    const { code, output } = await refusal(PARTNERS, { PARTNERS_DATABASE_URL: 'postgres://care:graph@127.0.0.1:1/partners' });
    expect(code).toBe(1);
    expect(output).toContain('Production mode (PARTNERS_DATABASE_URL is set) needs INTERNAL_AUTH_SECRET');
    expect(output).not.toMatch(/ECONNREFUSED|connect/i);
  });

  it('starts with CARE_GRAPH_MODE=embedded, whatever NODE_ENV says', async () => {
    await startsAndStops(PARTNERS, { NODE_ENV: 'production', CARE_GRAPH_MODE: 'embedded' });
  });

  it('starts in production with its secret (and creates no dev secret)', async () => {
    await startsAndStops(PARTNERS, { NODE_ENV: 'production', INTERNAL_AUTH_SECRET: SECRET });
    expect(await readdir(dataDir)).not.toContain('keys');
  });

  it('refuses an unknown CARE_GRAPH_MODE by name', async () => {
    const { code, output } = await refusal(PARTNERS, { CARE_GRAPH_MODE: 'staging' });
    expect(code).toBe(1);
    expect(output).toContain('CARE_GRAPH_MODE must be "embedded" or "production"; got "staging".');
  });
});

describe('the gateway in production mode', () => {
  it('without any setting names all three in one message, and does not listen', async () => {
    const { code, output, port } = await refusal(GATEWAY, { NODE_ENV: 'production' });
    expect(code).toBe(1);
    expect(output).toContain(
      'Production mode (NODE_ENV=production) needs INTERNAL_AUTH_SECRET (32+ characters shared by every service) and ' +
        `AUTH_JWKS_URL, AUTH_ISSUER (your identity provider). Set them, ${HINT}`,
    );
    expect(output.match(/Production mode/g)).toHaveLength(1);
    expect(await nobodyListens(port)).toBe(true);
    expect(await readdir(dataDir)).toEqual([]); // no dev signing key
  });

  it('with the secret but no identity provider still refuses, naming only what is missing', async () => {
    const { code, output } = await refusal(GATEWAY, {
      NODE_ENV: 'production',
      INTERNAL_AUTH_SECRET: SECRET,
      AUTH_ISSUER: 'https://idp.example/',
    });
    expect(code).toBe(1);
    expect(output).toContain('Production mode (NODE_ENV=production) needs AUTH_JWKS_URL (your identity provider). Set it, ');
    expect(output).not.toContain('needs INTERNAL_AUTH_SECRET');
  });

  it('starts with every production setting, and with CARE_GRAPH_MODE=embedded', async () => {
    await startsAndStops(GATEWAY, {
      NODE_ENV: 'production',
      INTERNAL_AUTH_SECRET: SECRET,
      AUTH_JWKS_URL: 'https://idp.example/.well-known/jwks.json',
      AUTH_ISSUER: 'https://idp.example/',
    });
    expect(await readdir(dataDir)).toEqual([]);
    await startsAndStops(GATEWAY, { NODE_ENV: 'production', CARE_GRAPH_MODE: 'embedded' });
  });
});

describe('npm start with a production setting', () => {
  it('refuses before starting any service, with the hint', async () => {
    const ports = Object.fromEntries(
      await Promise.all(
        ['GATEWAY', 'CARE_REQUESTS', 'POP_HEALTH', 'PARTNERS'].map(async (name) => [`${name}_PORT`, String(await freePort())]),
      ),
    );
    const { code, output } = await refusal('tools/src/supervisor.ts', {
      ...ports,
      PARTNERS_DATABASE_URL: 'postgres://care:graph@127.0.0.1:1/partners',
    });
    expect(code).toBe(1);
    expect(output).toContain(
      'Care Graph failed to start: Production mode (PARTNERS_DATABASE_URL is set) needs INTERNAL_AUTH_SECRET (32+ characters shared by every service) ' +
        `and AUTH_JWKS_URL, AUTH_ISSUER (your identity provider). Set them, ${HINT}`,
    );
    expect(output).not.toContain('starting');
    for (const port of Object.values(ports)) expect(await nobodyListens(Number(port))).toBe(true);
    expect(await readdir(dataDir)).toEqual([]);
  });
});

describe('the CLIs in production mode', () => {
  function npmRun(
    script: string,
    args: string[],
    env: NodeJS.ProcessEnv,
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        'npm',
        ['run', '-s', script, '--', ...args],
        { cwd: repoRoot, timeout: 60_000, env: { ...cleanEnv(env), NODE_OPTIONS: '' } },
        (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
      );
    });
  }

  it('npm run token refuses to mint a dev token (exit code 2), saying where tokens come from', async () => {
    const { code, stdout, stderr } = await npmRun('token', ['admin'], { NODE_ENV: 'production' });
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toContain(
      'npm run token mints dev tokens, which only embedded mode accepts, and this environment means production mode (NODE_ENV=production).',
    );
    expect(stderr).toContain('Get a token from your identity provider, or set CARE_GRAPH_MODE=embedded');
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('npm run token still mints one with CARE_GRAPH_MODE=embedded', async () => {
    const { code, stdout } = await npmRun('token', ['admin'], { NODE_ENV: 'production', CARE_GRAPH_MODE: 'embedded' });
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('npm run import without CARE_GRAPH_TOKEN names it (exit code 2)', async () => {
    const file = path.join(repoRoot, 'package.json'); // any existing file: the token is needed before it is read
    const { code, stderr } = await npmRun('import', [file], { CARE_REQUESTS_DATABASE_URL: 'postgres://care:graph@127.0.0.1:1/x' });
    expect(code).toBe(2);
    expect(stderr).toContain('import failed: CARE_GRAPH_TOKEN must be set in production mode (CARE_REQUESTS_DATABASE_URL is set)');
  });
});
