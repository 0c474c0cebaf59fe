/**
 * `npm start`: the whole graph on embedded defaults, one process per service (as in production), under
 * one supervisor. Databases are PGlite under `.data/`, the dev keys are created on first start, and each
 * service seeds its demo data when it creates its database. Ctrl-C stops everything cleanly.
 * An environment that means production (a `<SERVICE>_DATABASE_URL`, NODE_ENV=production) gets no dev keys:
 * without the production settings `npm start` refuses before starting anything.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import {
  DEFAULT_PORTS,
  dataDir,
  devSigningKey,
  envPrefix,
  internalSecret,
  repoRoot,
  requireProductionSettings,
  SERVICE_NODE_FLAGS,
  SUBGRAPHS,
} from '@care-graph/service-kit';
import { ensureAdminBuild } from './admin-build';
import { runCommand, UsageError } from './cli';

const STARTUP_DEADLINE_MS = 180_000;

const USAGE = `usage: npm start

Starts the whole graph on embedded defaults, one process per service: ${SUBGRAPHS.join(', ')} and the gateway.
Databases (PGlite) and dev keys live in DATA_DIR (default .data); the first start seeds demo data.
Ctrl-C stops everything.

Environment: HOST (default 127.0.0.1), ${['gateway', ...SUBGRAPHS].map((name) => `${envPrefix(name)}_PORT (${DEFAULT_PORTS[name]})`).join(', ')}.
A <SERVICE>_DATABASE_URL or NODE_ENV=production means production mode, which needs the production settings
(README, "Production settings"); CARE_GRAPH_MODE=embedded overrides.
SERVICE_NODE_FLAGS: extra Node.js flags for every service process, space-separated (e.g. --cpu-prof, which NODE_OPTIONS refuses).`;

interface Child {
  name: string;
  process: ChildProcess;
  exited: Promise<number | null>;
}

function startChild(name: string, entry: string, env: NodeJS.ProcessEnv): Child {
  const extraFlags = env.SERVICE_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, ...extraFlags, path.join(repoRoot, 'scripts', 'run-ts.js'), entry], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { name, process: child, exited };
}

async function waitReady(child: Child, port: number, host: string): Promise<void> {
  const deadline = Date.now() + STARTUP_DEADLINE_MS;
  let exitCode: number | null | undefined;
  void child.exited.then((code) => (exitCode = code));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`${child.name} exited with code ${exitCode} while starting (its log is above).`);
    try {
      const response = await fetch(`http://${host}:${port}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${child.name} was not ready on port ${port} within ${STARTUP_DEADLINE_MS / 1000} s.`);
}

function portOf(name: string): number {
  return Number(process.env[`${envPrefix(name)}_PORT`] ?? DEFAULT_PORTS[name]);
}

async function main(args: string[]) {
  if (args.length > 0) throw new UsageError(`npm start takes no arguments; got "${args.join(' ')}".`);
  const directory = dataDir();
  const host = process.env.HOST ?? '127.0.0.1';
  // The gateway needs every production setting any service needs: checking for it covers all four processes.
  const { mode } = requireProductionSettings('gateway');
  if (mode === 'embedded') {
    // Create the dev keys before any service starts, so that every service reads the same ones.
    await devSigningKey(directory);
    await internalSecret(process.env, directory);
  }

  const baseEnv = { ...process.env, DATA_DIR: directory, HOST: host, APOLLO_TELEMETRY_DISABLED: 'true' };
  const children: Child[] = [];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGTERM');
    const timeout = setTimeout(() => {
      for (const c of children) c.process.kill('SIGKILL');
    }, 10_000);
    await Promise.all(children.map((c) => c.exited));
    clearTimeout(timeout);
    process.exit(code);
  };
  process.on('SIGINT', () => {
    console.log('\nstopping Care Graph…');
    void stop(0);
  });
  process.on('SIGTERM', () => void stop(0));

  // A service that fails to start must not leave the others running: stop what was started, then report.
  try {
    // The gateway serves the dashboard and the IDE from their build: make it before the gateway starts.
    const dashboard = process.env.ADMIN_UI?.toLowerCase() !== 'off';
    const ide = (process.env.GRAPHQL_IDE?.toLowerCase() || (mode === 'embedded' ? 'on' : 'off')) === 'on';
    if (dashboard || ide) await ensureAdminBuild((line) => console.log(line));
    console.log(`Care Graph: starting ${mode} services (data in ${path.relative(process.cwd(), directory) || '.'})…`);
    const subgraphUrls = Object.fromEntries(SUBGRAPHS.map((name) => [`${envPrefix(name)}_URL`, `http://${host}:${portOf(name)}/graphql`]));
    const subgraphs = SUBGRAPHS.map((name) =>
      startChild(name, path.join('subgraphs', name, 'src', 'main.ts'), { ...baseEnv, ...subgraphUrls, PORT: String(portOf(name)) }),
    );
    children.push(...subgraphs);
    for (const child of subgraphs) {
      child.exited.then((code) => {
        if (!stopping) {
          console.error(`${child.name} stopped unexpectedly (code ${code}); stopping the others.`);
          void stop(1);
        }
      });
    }
    await Promise.all(subgraphs.map((child) => waitReady(child, portOf(child.name), host)));

    const gateway = startChild('gateway', path.join('gateway', 'src', 'main.ts'), {
      ...baseEnv,
      ...subgraphUrls,
      PORT: String(portOf('gateway')),
    });
    children.push(gateway);
    gateway.exited.then((code) => {
      if (!stopping) {
        console.error(`gateway stopped unexpectedly (code ${code}); stopping the others.`);
        void stop(1);
      }
    });
    await waitReady(gateway, portOf('gateway'), host);

    const origin = `http://${host === '127.0.0.1' ? 'localhost' : host}:${portOf('gateway')}`;
    const url = `${origin}/graphql`;
    const howToCall =
      mode === 'embedded'
        ? `  Token     npm run token -- admin              (or: -- partner <partnerId>)
  Try       curl -s ${url} -H "authorization: Bearer $(npm run -s token -- admin)" \\
                 -H 'content-type: application/json' -d '{"query":"{ partners { edges { node { id name } } } }"}'`
        : '  Token     from your identity provider (production mode)';
    console.log(`
Care Graph is ready.
  GraphQL   ${url}${mode === 'embedded' ? '   (in a browser: GraphiQL, the dev admin token pre-filled)' : ''}
  Admin     ${origin}/admin${mode === 'embedded' ? '   (dashboard: "Use development admin token" signs in)' : ''}
  Health    ${url.replace('/graphql', '/healthz')}  ${url.replace('/graphql', '/readyz')}
${howToCall}
Press Ctrl-C to stop.
`);
  } catch (error) {
    console.error(`Care Graph failed to start: ${(error as Error).message}`);
    await stop(1);
  }
}

runCommand({ usage: USAGE, run: main, describeError: (error) => `Care Graph failed to start: ${error.message}` });
