/**
 * Embedded or production (server/mode.ts): which settings choose production, what production needs before
 * a process starts, and that the dev key and the per-host secret cannot be reached in production.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { careGraphMode, createTokenVerifier, InternalAuth, requireProductionSettings, signDevToken } from '../src';
import { devSigningKey, internalSecret } from '../src/auth/tokens';

const SECRET = 'x'.repeat(32);
const IDP = { AUTH_JWKS_URL: 'https://idp.example/.well-known/jwks.json', AUTH_ISSUER: 'https://idp.example/' };

describe('careGraphMode', () => {
  it.each<[string, NodeJS.ProcessEnv, string, string]>([
    ['nothing set', {}, 'embedded', 'no production setting'],
    ['NODE_ENV=test', { NODE_ENV: 'test' }, 'embedded', 'no production setting'],
    ['NODE_ENV=development', { NODE_ENV: 'development' }, 'embedded', 'no production setting'],
    ['an empty database URL', { PARTNERS_DATABASE_URL: '' }, 'embedded', 'no production setting'],
    ['NODE_ENV=production', { NODE_ENV: 'production' }, 'production', 'NODE_ENV=production'],
    ['CARE_REQUESTS_DATABASE_URL', { CARE_REQUESTS_DATABASE_URL: 'postgres://db/a' }, 'production', 'CARE_REQUESTS_DATABASE_URL is set'],
    ['POP_HEALTH_DATABASE_URL', { POP_HEALTH_DATABASE_URL: 'postgres://db/b' }, 'production', 'POP_HEALTH_DATABASE_URL is set'],
    ['PARTNERS_DATABASE_URL', { PARTNERS_DATABASE_URL: 'postgres://db/c' }, 'production', 'PARTNERS_DATABASE_URL is set'],
    [
      'NODE_ENV=production and a database URL',
      { NODE_ENV: 'production', PARTNERS_DATABASE_URL: 'postgres://db/c' },
      'production',
      'NODE_ENV=production, PARTNERS_DATABASE_URL is set',
    ],
    ['CARE_GRAPH_MODE=production alone', { CARE_GRAPH_MODE: 'production' }, 'production', 'CARE_GRAPH_MODE=production'],
    [
      'CARE_GRAPH_MODE=embedded over NODE_ENV and database URLs',
      { CARE_GRAPH_MODE: 'embedded', NODE_ENV: 'production', PARTNERS_DATABASE_URL: 'postgres://db/c' },
      'embedded',
      'CARE_GRAPH_MODE=embedded',
    ],
    ['an empty CARE_GRAPH_MODE (as unset)', { CARE_GRAPH_MODE: '', NODE_ENV: 'production' }, 'production', 'NODE_ENV=production'],
  ])('%s', (_, env, mode, reason) => {
    expect(careGraphMode(env)).toEqual({ mode, reason });
  });

  it.each([
    ['Production', 'Production'],
    ['prod', 'prod'],
    ['dev', 'dev'],
    ['a trailing space', 'embedded '],
    ['500 characters', 'x'.repeat(500)],
  ])('refuses CARE_GRAPH_MODE=%s, quoting at most 40 characters', (_, value) => {
    expect(() => careGraphMode({ CARE_GRAPH_MODE: value })).toThrow(
      `CARE_GRAPH_MODE must be "embedded" or "production"; got "${value.slice(0, 40)}".`,
    );
  });

  it('ignores variables that name no subgraph', () => {
    expect(careGraphMode({ DATABASE_URL: 'postgres://db/x', GATEWAY_DATABASE_URL: 'postgres://db/y' }).mode).toBe('embedded');
  });
});

describe('requireProductionSettings', () => {
  const hint = 'or set CARE_GRAPH_MODE=embedded to run with the dev key and a per-host secret under DATA_DIR.';

  it('asks nothing in embedded mode', () => {
    expect(requireProductionSettings('gateway', {}).mode).toBe('embedded');
    expect(requireProductionSettings('service', {}).mode).toBe('embedded');
  });

  it('lists everything the gateway lacks in one message, with the reason and the way out', () => {
    expect(() => requireProductionSettings('gateway', { NODE_ENV: 'production' })).toThrow(
      'Production mode (NODE_ENV=production) needs INTERNAL_AUTH_SECRET (32+ characters shared by every service) and ' +
        `AUTH_JWKS_URL, AUTH_ISSUER (your identity provider). Set them, ${hint}`,
    );
  });

  it('asks a service only for the internal secret', () => {
    expect(() => requireProductionSettings('service', { PARTNERS_DATABASE_URL: 'postgres://db/c' })).toThrow(
      `Production mode (PARTNERS_DATABASE_URL is set) needs INTERNAL_AUTH_SECRET (32+ characters shared by every service). Set it, ${hint}`,
    );
    expect(requireProductionSettings('service', { PARTNERS_DATABASE_URL: 'postgres://db/c', INTERNAL_AUTH_SECRET: SECRET })).toEqual({
      mode: 'production',
      reason: 'PARTNERS_DATABASE_URL is set',
    });
  });

  it('names only what is missing, and counts a short secret as missing', () => {
    expect(() =>
      requireProductionSettings('gateway', { NODE_ENV: 'production', INTERNAL_AUTH_SECRET: SECRET, AUTH_JWKS_URL: IDP.AUTH_JWKS_URL }),
    ).toThrow('Production mode (NODE_ENV=production) needs AUTH_ISSUER (your identity provider). Set it,');
    expect(() => requireProductionSettings('gateway', { NODE_ENV: 'production', INTERNAL_AUTH_SECRET: 'short', ...IDP })).toThrow(
      'needs INTERNAL_AUTH_SECRET (32+ characters shared by every service). Set it,',
    );
    expect(requireProductionSettings('gateway', { NODE_ENV: 'production', INTERNAL_AUTH_SECRET: SECRET, ...IDP }).mode).toBe('production');
  });
});

describe('the dev key and the per-host secret in production', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'care-graph-mode-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));
  const production = { NODE_ENV: 'production' };
  const keys = () => path.join(dataDir, 'keys');

  it('are refused where they are used, whatever the caller checked, and nothing is written', async () => {
    await expect(devSigningKey(dataDir, production)).rejects.toThrow(
      'The dev signing key exists only in embedded mode, and this process is in production mode (NODE_ENV=production).',
    );
    await expect(signDevToken(dataDir, { subject: 's', role: 'admin' }, { env: production })).rejects.toThrow(
      'The dev signing key exists only',
    );
    await expect(createTokenVerifier({ ...production, INTERNAL_AUTH_SECRET: SECRET }, dataDir)).rejects.toThrow(
      'The dev signing key exists only',
    );
    await expect(internalSecret(production, dataDir)).rejects.toThrow('A per-host internal secret exists only in embedded mode');
    await expect(InternalAuth.fromEnv({ PARTNERS_DATABASE_URL: 'postgres://db/c' }, dataDir)).rejects.toThrow(
      '(PARTNERS_DATABASE_URL is set)',
    );
    expect(existsSync(keys())).toBe(false);
  });

  it('are not needed when production has its settings', async () => {
    await expect(internalSecret({ ...production, INTERNAL_AUTH_SECRET: SECRET }, dataDir)).resolves.toEqual(
      new TextEncoder().encode(SECRET),
    );
    await expect(createTokenVerifier({ ...production, ...IDP }, dataDir)).resolves.toHaveProperty('verify');
    expect(existsSync(keys())).toBe(false);
  });

  it('are created in embedded mode', async () => {
    await expect(
      signDevToken(dataDir, { subject: 's', role: 'admin' }, { env: { CARE_GRAPH_MODE: 'embedded', NODE_ENV: 'production' } }),
    ).resolves.toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    await expect(internalSecret({}, dataDir)).resolves.toHaveLength(43);
    expect(existsSync(path.join(keys(), 'token-signing.jwk.json'))).toBe(true);
    expect(existsSync(path.join(keys(), 'internal.secret'))).toBe(true);
  });
});
