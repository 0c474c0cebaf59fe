/**
 * The graph as production runs it, for tests that kill processes: the gateway and each subgraph its own process,
 * on its own port and data directory (embedded PGlite on disk unless given a database URL), each restartable on the
 * same port, data and settings after a SIGKILL.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ClientOptions } from '@care-graph/operations';
import { envPrefix, type Identity, SUBGRAPHS, type SubgraphName, signDevToken } from '@care-graph/service-kit';
import { freePort, type RunningProgram, startProgram, waitFor } from './processes';

/** A first start creates and migrates a PGlite database (~5 s alone, much longer beside other suites on 2 cores). */
const START_DEADLINE_MS = 120_000;

const ENTRIES: Record<SubgraphName | 'gateway', string> = {
  'care-requests': 'subgraphs/care-requests/src/main.ts',
  'pop-health': 'subgraphs/pop-health/src/main.ts',
  partners: 'subgraphs/partners/src/main.ts',
  gateway: 'gateway/src/main.ts',
};

/**
 * One service process; `start` after `kill` runs it again on the same port, data directory and environment.
 * `SERVICE_NODE_FLAGS` in its environment are extra Node.js flags for it, as the supervisor passes them on.
 */
export class ServiceProcess {
  private lives: RunningProgram[] = [];

  constructor(
    readonly name: string,
    readonly port: number,
    readonly dataDir: string,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/graphql`;
  }

  /** The running process (the last one started). */
  get program(): RunningProgram {
    const program = this.lives.at(-1);
    if (!program) throw new Error(`${this.name} was never started`);
    return program;
  }

  get running(): boolean {
    const program = this.lives.at(-1);
    return !!program && program.process.exitCode === null && program.process.signalCode === null;
  }

  /** What every life of the process wrote, oldest first. */
  output(): string {
    return this.lives.map((life) => life.output()).join('\n');
  }

  /** Starts the process and resolves once its /readyz answers 200; rejects with its output if it exits first. */
  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.name} is running already`);
    const program = startProgram(ENTRIES[this.name as keyof typeof ENTRIES] ?? ENTRIES.partners, this.env, {
      nodeFlags: this.env.SERVICE_NODE_FLAGS,
    });
    this.lives.push(program);
    let exit: number | null | undefined;
    void program.exited.then((code) => (exit = code));
    await waitFor(
      `${this.name} to be ready on port ${this.port}`,
      START_DEADLINE_MS,
      async () => {
        if (exit !== undefined) throw new Error(`${this.name} exited with code ${exit} while starting:\n${program.output().slice(-4000)}`);
        const response = await fetch(`http://127.0.0.1:${this.port}/readyz`, { signal: AbortSignal.timeout(2000) });
        return response.ok;
      },
      200,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n--- ${this.name} output ---\n${program.output().slice(-4000)}`);
    });
  }

  /** SIGKILLs the process (no shutdown of any kind) and resolves once it is gone. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.program.process.kill('SIGKILL');
    await this.program.exited;
  }

  /** SIGTERM, for the end of a test. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.program.process.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      this.program.exited.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(resolve, 15_000, false);
      }),
    ]);
    clearTimeout(timer);
    if (!stopped) await this.kill();
  }
}

export interface ProcessGraphOptions {
  /** `<SERVICE>_DATABASE_URL` per subgraph (PostgreSQL); a subgraph without one runs embedded PGlite in its data directory. */
  databaseUrls?: Partial<Record<SubgraphName, string>>;
  /** Extra environment per service (e.g. BACKFILL_* for partners). */
  env?: Partial<Record<SubgraphName | 'gateway', NodeJS.ProcessEnv>>;
  /** The URL partners calls pop-health at (a proxy in front of it); default pop-health's own. */
  popHealthUrlForPartners?: string;
}

export interface ProcessGraph {
  root: string;
  services: Record<SubgraphName | 'gateway', ServiceProcess>;
  /** Every partners process: the first is `services.partners` (the gateway's); `addPartners` adds more. */
  partners: ServiceProcess[];
  /**
   * Another partners process on the same settings and database URL (plus `env`), on its own port and data
   * directory (not started).
   */
  addPartners(env?: NodeJS.ProcessEnv): Promise<ServiceProcess>;
  /**
   * Another gateway process on the same settings (plus `env`, e.g. `PARTNERS_URL` of another partners
   * instance) and signing key, on its own port (not started); `as` tokens work at both.
   */
  addGateway(env?: NodeJS.ProcessEnv): Promise<ServiceProcess>;
  /** The gateway's URL with a dev token for `identity` (signed with the gateway's dev key). */
  as(role: Identity['role'], partnerId?: string): Promise<ClientOptions>;
  /** Starts every service that is not running: the subgraphs together, then the gateway. */
  start(): Promise<void>;
  /** Stops every process and removes the data directories. */
  close(): Promise<void>;
}

/** The test process's environment without what would choose production or point a service elsewhere. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.endsWith('_DATABASE_URL') || name.endsWith('_URL') || name.endsWith('_PORT') || name.startsWith('BACKFILL_')) delete env[name];
  }
  for (const name of ['NODE_ENV', 'AUTH_JWKS_URL', 'AUTH_ISSUER', 'PORT', 'DATA_DIR', 'SMTP_URL']) delete env[name];
  return {
    ...env,
    // Embedded keys even with a PostgreSQL URL: the test signs user tokens with the gateway's dev key.
    CARE_GRAPH_MODE: 'embedded',
    INTERNAL_AUTH_SECRET: randomBytes(32).toString('hex'),
    SEED_DEMO_DATA: 'false',
    LOG_LEVEL: 'info',
    APOLLO_TELEMETRY_DISABLED: 'true',
    HOST: '127.0.0.1',
  };
}

/** Creates (does not start) the four processes of a graph, each with its own data directory under a fresh temporary root. */
export async function createProcessGraph(options: ProcessGraphOptions = {}): Promise<ProcessGraph> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'care-graph-procs-'));
  const shared = baseEnv();
  const names = [...SUBGRAPHS, 'gateway'] as const;
  const ports = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await freePort()]))) as Record<
    (typeof names)[number],
    number
  >;
  const urls = Object.fromEntries(SUBGRAPHS.map((name) => [`${envPrefix(name)}_URL`, `http://127.0.0.1:${ports[name]}/graphql`]));
  const envOf = async (name: (typeof names)[number], port: number, dataDir: string): Promise<NodeJS.ProcessEnv> => {
    await mkdir(dataDir, { recursive: true });
    const databaseUrl = name === 'gateway' ? undefined : options.databaseUrls?.[name];
    return {
      ...shared,
      ...urls,
      ...(name === 'partners' && options.popHealthUrlForPartners ? { POP_HEALTH_URL: options.popHealthUrlForPartners } : {}),
      ...(databaseUrl ? { [`${envPrefix(name)}_DATABASE_URL`]: databaseUrl } : {}),
      ...options.env?.[name],
      DATA_DIR: dataDir,
      PORT: String(port),
    };
  };
  const services = {} as Record<(typeof names)[number], ServiceProcess>;
  for (const name of names) {
    const dataDir = path.join(root, name);
    services[name] = new ServiceProcess(name, ports[name], dataDir, await envOf(name, ports[name], dataDir));
  }
  // The gateway's dev key exists before the gateway starts, so that the tokens signed here are the ones it accepts.
  const gatewayEnv = services.gateway.env;
  await signDevToken(services.gateway.dataDir, { subject: 'setup', role: 'admin' }, { env: gatewayEnv });
  const partners = [services.partners];
  const gateways: ServiceProcess[] = [];
  return {
    root,
    services,
    partners,
    async addPartners(env = {}) {
      const port = await freePort();
      const dataDir = path.join(root, `partners-${partners.length + 1}`);
      const instance = new ServiceProcess('partners', port, dataDir, { ...(await envOf('partners', port, dataDir)), ...env });
      partners.push(instance);
      return instance;
    },
    async addGateway(env = {}) {
      const port = await freePort();
      // The first gateway's data directory: its dev signing key is the one the tokens are signed with.
      const instance = new ServiceProcess('gateway', port, services.gateway.dataDir, { ...gatewayEnv, ...env, PORT: String(port) });
      gateways.push(instance);
      return instance;
    },
    async as(role, partnerId) {
      const identity: Identity = { subject: `procs-${role}`, role, ...(partnerId ? { partnerId } : {}) };
      return { url: services.gateway.url, token: await signDevToken(services.gateway.dataDir, identity, { env: gatewayEnv }) };
    },
    async start() {
      await Promise.all([...SUBGRAPHS.map((name) => services[name]), ...partners.slice(1)].filter((s) => !s.running).map((s) => s.start()));
      if (!services.gateway.running) await services.gateway.start();
    },
    async close() {
      await Promise.all([...Object.values(services), ...partners.slice(1), ...gateways].map((s) => s.stop()));
      await rm(root, { recursive: true, force: true });
    },
  };
}
