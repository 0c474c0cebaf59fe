/**
 * Embedded or production: the one definition of the mode a Care Graph process runs in.
 *
 * Embedded mode (`npm start`, tests, benchmarks) may create what it needs for itself under DATA_DIR: the
 * dev signing key for user tokens and a per-host internal secret. Production mode must not, since each
 * service there is its own process (or container) and a key made up by one host is trusted by nobody else
 * — or, worse, trusted by the gateway without any identity provider. So production refuses to start
 * without the settings that replace them, and the dev paths assert the mode again where they are used.
 */
import { databaseUrlFor, envPrefix, SUBGRAPHS } from './config';

export type CareGraphMode = 'embedded' | 'production';

/** The mode and the setting that chose it (for messages: "NODE_ENV=production", "PARTNERS_DATABASE_URL is set"). */
export interface ModeChoice {
  mode: CareGraphMode;
  reason: string;
}

const MODES: readonly CareGraphMode[] = ['embedded', 'production'];
/** The internal secret signs every identity between services: shorter ones are guessable. */
export const MIN_INTERNAL_SECRET_LENGTH = 32;

/**
 * The mode `env` asks for: `CARE_GRAPH_MODE` when set (anything but `embedded` or `production` throws);
 * otherwise production when `NODE_ENV=production` or any `<SERVICE>_DATABASE_URL` is set; else embedded.
 */
export function careGraphMode(env: NodeJS.ProcessEnv = process.env): ModeChoice {
  const chosen = env.CARE_GRAPH_MODE;
  if (chosen !== undefined && chosen !== '') {
    if (!MODES.includes(chosen as CareGraphMode)) {
      throw new Error(`CARE_GRAPH_MODE must be "embedded" or "production"; got "${chosen.slice(0, 40)}".`);
    }
    return { mode: chosen as CareGraphMode, reason: `CARE_GRAPH_MODE=${chosen}` };
  }
  const reasons = [
    ...(env.NODE_ENV === 'production' ? ['NODE_ENV=production'] : []),
    ...SUBGRAPHS.filter((service) => databaseUrlFor(service, env)).map((service) => `${envPrefix(service)}_DATABASE_URL is set`),
  ];
  return reasons.length > 0 ? { mode: 'production', reason: reasons.join(', ') } : { mode: 'embedded', reason: 'no production setting' };
}

/** What a process needs in production: every service the internal secret, the gateway also the identity provider. */
export type ProcessKind = 'service' | 'gateway';

/**
 * The mode of a process of `kind` about to start. In production it throws one error that lists every
 * setting the process lacks, why production was chosen, and how to run embedded instead; call it before
 * anything listens or opens a database.
 */
export function requireProductionSettings(kind: ProcessKind, env: NodeJS.ProcessEnv = process.env): ModeChoice {
  const choice = careGraphMode(env);
  if (choice.mode === 'embedded') return choice;
  const needs: string[] = [];
  if ((env.INTERNAL_AUTH_SECRET ?? '').length < MIN_INTERNAL_SECRET_LENGTH) {
    needs.push(`INTERNAL_AUTH_SECRET (${MIN_INTERNAL_SECRET_LENGTH}+ characters shared by every service)`);
  }
  if (kind === 'gateway') {
    const provider = ['AUTH_JWKS_URL', 'AUTH_ISSUER'].filter((name) => !env[name]);
    if (provider.length > 0) needs.push(`${provider.join(', ')} (your identity provider)`);
  }
  if (needs.length === 0) return choice;
  throw new Error(
    `Production mode (${choice.reason}) needs ${needs.join(' and ')}. Set ${needs.length === 1 && !needs[0].includes(',') ? 'it' : 'them'}, ` +
      'or set CARE_GRAPH_MODE=embedded to run with the dev key and a per-host secret under DATA_DIR.',
  );
}

/**
 * Throws unless `env` is in embedded mode: the guard at each place that creates or uses a dev key or
 * secret (`what`), so that no caller reaches them in production, whatever it checked before.
 */
export function assertEmbeddedMode(what: string, env: NodeJS.ProcessEnv = process.env): void {
  const { mode, reason } = careGraphMode(env);
  if (mode !== 'embedded') {
    throw new Error(`${what} exists only in embedded mode, and this process is in production mode (${reason}).`);
  }
}
