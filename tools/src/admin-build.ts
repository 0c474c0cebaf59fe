/**
 * `npm start` builds the admin pages (gateway/admin: the dashboard and the GraphQL IDE) when their build is
 * missing or older than their sources, so a fresh clone needs no other step. The sources' digest is kept
 * next to the build; an unchanged tree starts without building.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '@care-graph/service-kit';

const ADMIN = path.join(repoRoot, 'gateway', 'admin');
const DIST = path.join(ADMIN, 'dist');
const DIGEST_FILE = path.join(DIST, '.sources-sha256');
/** What the build reads: the pages, their config, the typed documents they import, the locked dependencies. */
const SOURCES = [
  path.join(ADMIN, 'src'),
  path.join(ADMIN, 'index.html'),
  path.join(ADMIN, 'ide.html'),
  path.join(ADMIN, 'vite.config.mts'),
  path.join(ADMIN, 'package.json'),
  path.join(repoRoot, 'packages', 'operations', 'src'),
  path.join(repoRoot, 'package-lock.json'),
];

function filesUnder(entry: string): string[] {
  if (!existsSync(entry)) return [];
  if (!statSync(entry).isDirectory()) return [entry];
  return readdirSync(entry, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((child) => filesUnder(path.join(entry, child.name)));
}

function adminSourcesDigest(): string {
  const hash = createHash('sha256');
  for (const file of SOURCES.flatMap(filesUnder))
    hash.update(path.relative(repoRoot, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

/** Builds the admin pages unless the build in `dist/` was made from the current sources. */
export async function ensureAdminBuild(log: (line: string) => void): Promise<void> {
  const digest = adminSourcesDigest();
  const built = existsSync(DIGEST_FILE) && existsSync(path.join(DIST, 'index.html')) ? readFileSync(DIGEST_FILE, 'utf8').trim() : null;
  if (built === digest) return;
  log(built ? 'Building the admin pages (their sources changed)…' : 'Building the admin pages (first start)…');
  const started = Date.now();
  const output: Buffer[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '-s', 'build', '-w', '@care-graph/admin'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) {
    throw new Error(
      `building the admin pages failed (npm run build:admin, exit code ${code}):\n${Buffer.concat(output).toString().slice(-4000)}`,
    );
  }
  writeFileSync(DIGEST_FILE, `${digest}\n`);
  log(`Built the admin pages in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}
