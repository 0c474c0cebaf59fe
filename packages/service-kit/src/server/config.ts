/**
 * Service configuration from environment variables. Every variable has an embedded-mode default, so
 * `npm start` needs none; production sets the URLs and keys (README, "Configuration").
 */
import { dataDir } from './paths';

/** `care-requests` → `CARE_REQUESTS`. */
export function envPrefix(service: string): string {
  return service.toUpperCase().replace(/-/g, '_');
}

/** `<SERVICE>_DATABASE_URL`; unset means the embedded PGlite database. */
export function databaseUrlFor(service: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[`${envPrefix(service)}_DATABASE_URL`] || undefined;
}

/** The subgraph services, in the order `npm start` starts them: the one list every tool and test derives from. */
export const SUBGRAPHS = ['care-requests', 'pop-health', 'partners'] as const;
export type SubgraphName = (typeof SUBGRAPHS)[number];

/** Each service's port in embedded mode. */
export const DEFAULT_PORTS: Record<string, number> = {
  gateway: 4000,
  'care-requests': 4001,
  'pop-health': 4002,
  partners: 4003,
};

/** Whole-number setting `name` of `env` within [min, max]; `fallback` when unset; throws naming it otherwise. */
export function integerSetting(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}; it is ${JSON.stringify(raw)}.`);
  }
  return value;
}

/** On/off setting `name` of `env` (`on` or `off`, any case); `fallback` when unset; throws naming it otherwise. */
export function switchSetting(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = raw.toLowerCase();
  if (value !== 'on' && value !== 'off') throw new Error(`${name} must be on or off; it is ${JSON.stringify(raw)}.`);
  return value === 'on';
}

/** `<SERVICE>_URL`, else the embedded default on localhost. */
export function serviceUrlFor(service: string, env: NodeJS.ProcessEnv = process.env): string {
  return env[`${envPrefix(service)}_URL`] ?? `http://localhost:${DEFAULT_PORTS[service]}/graphql`;
}

export interface ServiceConfig {
  service: string;
  port: number;
  host: string;
  databaseUrl?: string;
  dataDir: string;
  /** Seed demo data when this start created the database (embedded default: on). */
  seedDemoData: boolean;
}

/** A service's configuration from the environment; throws naming the variable when PORT is not a port. */
export function serviceConfig(service: string, env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const port = Number(env.PORT ?? env[`${envPrefix(service)}_PORT`] ?? DEFAULT_PORTS[service]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT for ${service} must be an integer between 0 and 65535; got "${env.PORT}".`);
  }
  const databaseUrl = databaseUrlFor(service, env);
  return {
    service,
    port,
    host: env.HOST ?? '127.0.0.1',
    databaseUrl,
    dataDir: dataDir(env),
    seedDemoData: (env.SEED_DEMO_DATA ?? (databaseUrl ? 'false' : 'true')) === 'true',
  };
}
