/**
 * Every command-line program answers `--help` (or `-h`) with its usage on stdout and exit code 0, and wrong
 * usage with what was wrong and the usage on stderr and exit code 2 — run as a user runs them, through the
 * root package.json's scripts.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '@care-graph/service-kit';

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'care-graph-cli-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

/** `npm run -s <script> -- <args>` in the repository, on a throw-away data directory. */
function npmRun(script: string, args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      'npm',
      ['run', '-s', script, '--', ...args],
      { cwd: repoRoot, timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '', DATA_DIR: dataDir } },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

describe.each([
  ['start', 'usage: npm start'],
  ['token', 'usage: npm run -s token -- <admin|partner|service> [partnerId] [--email <address>]'],
  ['import', 'usage: npm run import -- <file.ndjson> [--batch 500]'],
])('npm run %s', (script, synopsis) => {
  it.each(['--help', '-h'])(`answers %s with the usage and exit code 0`, async (flag) => {
    const { code, stdout, stderr } = await npmRun(script, [flag]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout.startsWith(synopsis)).toBe(true);
  });
});

describe('wrong usage', () => {
  it.each([
    ['start', ['now'], 'npm start takes no arguments'],
    ['token', [], 'Name the role of the token.'],
    ['token', ['root'], 'Unknown role "root".'],
    ['token', ['partner'], 'A partner token needs the partner id'],
    ['token', ['admin', 'extra'], 'Unexpected argument "extra".'],
    ['token', ['admin', '--email', 'not an address'], '--email needs an address'],
    ['import', [], 'Name the file to import.'],
    ['import', ['a.ndjson', '--batch', '0'], '--batch must be an integer from 1 to 5000.'],
  ])('npm run %s -- %j: says why, prints the usage on stderr, exit code 2', async (script, args, why) => {
    const { code, stdout, stderr } = await npmRun(script, args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(why);
    expect(stderr).toContain('usage: npm ');
  });
});

describe('the CLIs at work', () => {
  it('npm run token prints a token for a valid role', async () => {
    const { code, stdout } = await npmRun('token', ['partner', 'p-1']);
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('npm run token -- admin --email puts the address in the email claim', async () => {
    const { code, stdout } = await npmRun('token', ['admin', '--email', 'ada@example.org']);
    expect(code).toBe(0);
    const claims = JSON.parse(Buffer.from(stdout.trim().split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ role: 'admin', email: 'ada@example.org' });
  });

  it('npm run import says plainly that a file does not exist (exit code 2, no usage)', async () => {
    const { code, stderr } = await npmRun('import', [path.join(dataDir, 'missing.ndjson')]);
    expect(code).toBe(2);
    expect(stderr).toContain('no such file');
    expect(stderr).not.toContain('usage:');
  });
});
