/**
 * What the browser tests share: Debian's Chromium driven by playwright-core (never a downloaded browser, shared
 * STACK.md), the embedded graph started as `npm start` starts it, a TCP proxy in front of the gateway that a
 * test can take down and bring back (a network drop), axe-core's WCAG AA checks, and a screenshot per test.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { repoRoot } from '@care-graph/service-kit';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { freePort, type RunningProgram, startProgram, within } from '../../../tools/test/processes';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots of every test, for a person to look at (gitignored). */
export const SCREENSHOTS = path.join(repoRoot, 'gateway', 'admin', 'test-results');

/** Chromium as root in a closed network: no sandbox, no background connections (shared STACK.md). */
async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`No Chromium at ${CHROMIUM}: install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH.`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** axe-core's WCAG 2.0/2.1 A and AA rules (contrast among them) on the page as it is; the violations found. */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join('; ')})`);
}

/** A TCP proxy to `target`: `down()` cuts every connection and refuses new ones until `up()`. */
interface NetworkDrop {
  port: number;
  down(): void;
  up(): void;
  close(): Promise<void>;
}

async function startDropProxy(targetPort: number): Promise<NetworkDrop> {
  const sockets = new Set<net.Socket>();
  let isDown = false;
  const server = net.createServer((client) => {
    if (isDown) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    down() {
      isDown = true;
      for (const socket of sockets) socket.destroy();
    },
    up() {
      isDown = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** `npm start` on a fresh data directory and free ports, and a browser pointed at it through the proxy. */
export interface Dashboard {
  /** The gateway as the browser reaches it (through the proxy). */
  origin: string;
  supervisor: RunningProgram;
  proxy: NetworkDrop;
  browser: Browser;
  context: BrowserContext;
  dataDir: string;
  close(): Promise<void>;
}

export async function startDashboard(viewport = { width: 1280, height: 800 }): Promise<Dashboard> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'care-graph-admin-'));
  const ports: Record<string, number> = {};
  for (const name of ['GATEWAY', 'CARE_REQUESTS', 'POP_HEALTH', 'PARTNERS']) ports[name] = await freePort();
  const supervisor = startProgram('tools/src/supervisor.ts', {
    ...process.env,
    DATA_DIR: dataDir,
    ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [`${name}_PORT`, String(port)])),
  });
  const [proxy, browser] = await Promise.all([
    startDropProxy(ports.GATEWAY),
    launchChromium(),
    within('the ready banner', 150_000, supervisor.printed('Care Graph is ready')),
  ]);
  const context = await browser.newContext({ viewport });
  return {
    origin: `http://127.0.0.1:${proxy.port}`,
    supervisor,
    proxy,
    browser,
    context,
    dataDir,
    async close() {
      await browser.close().catch(() => {});
      await proxy.close();
      if (supervisor.process.exitCode === null) {
        supervisor.process.kill('SIGINT');
        await within('the supervisor to stop', 30_000, supervisor.exited).catch(() => supervisor.process.kill('SIGKILL'));
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
