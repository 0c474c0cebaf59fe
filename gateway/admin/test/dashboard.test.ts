/**
 * The admin dashboard and the GraphQL IDE in a real browser (Debian's Chromium), against the whole embedded graph
 * started as `npm start` starts it. The tests run in order as an admin would work: sign in, create a partner,
 * upload its roster, refuse a bad window, run a backfill to COMPLETED, drop the network under a running one and
 * cancel it, find both in the history, then the IDE. Each test leaves a screenshot in gateway/admin/test-results.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEMO_PARTNERS, DEMO_ROSTER, demoRosterMembers } from '@care-graph/demo-data';
import { signDevToken } from '@care-graph/service-kit';
import type { Page, Request } from 'playwright-core';
import { waitFor } from '../../../tools/test/processes';
import { accessibilityViolations, type Dashboard, SCREENSHOTS, screenshot, startDashboard } from './browser';

const HEADER = 'member_id,first_name,middle_name,last_name,date_of_birth,sex,ssn,address_line1,city,state,zip';
const DEMO_PARTNER = DEMO_PARTNERS[0];

/** A backfill's own page (not the form at /admin/backfills/new). */
const LIVE_VIEW = /\/admin\/backfills\/(?!new$)[^/?]+$/;

const isoDay = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);

/** A roster of 40 demo members (so a backfill finds matches) and one row without a birth date, on line 42. */
function rosterCsv(): string {
  const members = demoRosterMembers().slice(0, 40);
  const rows = members.map((m) =>
    [
      m.memberId,
      m.givenName,
      m.middleName ?? '',
      m.familyName,
      new Date(m.dateOfBirth).toISOString().slice(0, 10),
      m.sex,
      '',
      m.address?.line1 ?? '',
      m.address?.city ?? '',
      m.address?.state ?? '',
      m.address?.postalCode ?? '',
    ].join(','),
  );
  rows.push('BAD-1,Ann,,Lee,,F,,,,,');
  return `${[HEADER, ...rows].join('\n')}\n`;
}

describe('admin dashboard (Chromium)', () => {
  let dashboard: Dashboard;
  let page: Page;
  const partnerName = `Browser Test Plan ${Date.now()}`;
  let completedId: string;
  let cancelledId: string;

  beforeAll(async () => {
    dashboard = await startDashboard();
    page = await dashboard.context.newPage();
    page.setDefaultTimeout(20_000);
  }, 180_000);
  afterAll(() => dashboard?.close());
  afterEach(async () => {
    const name = expect
      .getState()
      .currentTestName?.replace(/^admin dashboard \(Chromium\) /, '')
      .replace(/[^a-z0-9]+/gi, '-');
    if (page && !page.isClosed()) await screenshot(page, name ?? 'test');
  });

  const status = () => page.locator('.status-line .status').first();
  const valueNow = async () => Number(await page.getByRole('progressbar', { name: 'Backfill progress' }).getAttribute('aria-valuenow'));

  it('refuses a token the server does not accept, signs in with the development admin token, shows who, and signs out', async () => {
    await page.goto(`${dashboard.origin}/admin/`);
    await page.getByLabel('Token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not a bearer token' }).waitFor();

    // A well-formed token the gateway did not sign: the server's refusal is shown.
    const [head, , signature] = (await signDevToken(dashboard.dataDir, { subject: 'x', role: 'admin' })).split('.');
    const forged = `${head}.${Buffer.from(JSON.stringify({ sub: 'mallory', role: 'admin', exp: 4102444800 })).toString('base64url')}.${signature}`;
    await page.getByLabel('Token').fill(forged);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();

    await page.getByRole('button', { name: 'Use development admin token' }).click();
    await page.getByText('Signed in as').waitFor();
    expect(await page.locator('header .who').innerText()).toMatch(/dev-admin\s+admin/);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Token').waitFor();
    expect(await page.getByRole('status').innerText()).toContain('You signed out.');
  });

  it('returns to sign-in with a message when the token expires', async () => {
    const shortLived = await signDevToken(dashboard.dataDir, { subject: 'short-lived', role: 'admin' }, { ttlSeconds: 3 });
    await page.getByLabel('Token').fill(shortLived);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Signed in as').waitFor();
    expect(await page.locator('header .who').innerText()).toContain('short-lived');
    await page.getByText('Your token expired. Sign in again.').waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Use development admin token' }).click();
    await page.getByText('Signed in as').waitFor();
  });

  it('creates a partner', async () => {
    await page.getByLabel('Partner name').fill(partnerName);
    await page.getByRole('button', { name: 'Create partner' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Created ${partnerName}` })
      .waitFor();
    // The new partner is in the upload form's partner list.
    await waitFor('the partner in the select', 10_000, async () =>
      (await page.getByLabel('Partner', { exact: true }).locator('option').allInnerTexts()).includes(partnerName),
    );
  });

  it('uploads a roster with a progress bar and shows its counts and the rejected row', async () => {
    const file = path.join(SCREENSHOTS, 'browser-roster.csv');
    writeFileSync(file, rosterCsv());
    await page.getByLabel('Partner', { exact: true }).selectOption({ label: partnerName });
    await page.getByLabel('Kind').selectOption('BACKFILL');
    await page.getByLabel('Roster file').setInputFiles(file);
    await page.getByRole('button', { name: 'Upload roster' }).click();
    const result = page.locator('.result');
    await result.getByText('READY').waitFor();
    expect(await page.getByRole('progressbar', { name: 'Upload progress' }).getAttribute('aria-valuenow')).toBe('100');
    expect(await result.locator('.counts').innerText()).toMatch(/Rows\s+41\s+Accepted\s+40\s+Rejected\s+1/i);
    const rejected = page.getByRole('table', { name: /Rejected rows/ });
    const row = rejected.locator('tbody tr');
    expect(await row.count()).toBe(1);
    expect(await row.locator('td').first().innerText()).toBe('42');
    expect(await row.innerText()).toMatch(/BAD-1\s+.*date_of_birth/i);
  });

  it('shows the API refusal of a bad window beside the Start date field', async () => {
    await page.getByRole('link', { name: 'Start a backfill', exact: true }).click();
    await page.getByLabel('Partner', { exact: true }).selectOption(DEMO_PARTNER.id);
    await waitFor(
      'the demo roster',
      10_000,
      async () => (await page.getByLabel('Roster', { exact: true }).inputValue()) === DEMO_ROSTER.id,
    );
    await page.getByLabel('Start date').fill(isoDay(10));
    await page.getByLabel('End date').fill(isoDay(20));
    await page.getByRole('button', { name: 'Start backfill' }).click();
    const startDate = page.getByLabel('Start date');
    await waitFor('the field to be marked invalid', 10_000, async () => (await startDate.getAttribute('aria-invalid')) === 'true');
    const described = (await startDate.getAttribute('aria-describedby'))!.split(' ');
    const message = await page.locator(`[id="${described[0]}"]`).innerText();
    expect(message).toContain(`startDate (${isoDay(10)}) must not be after endDate (${isoDay(20)})`);
    // Beside its field: the message is inside the Start date field's own block, not at the top of the form.
    expect(await page.locator('#bf-start').locator('..').locator('.field-error').innerText()).toBe(message);
    expect(await page.getByLabel('End date').getAttribute('aria-invalid')).toBeNull();
  });

  it('starts a backfill and follows it live until the bar is at 100 with status COMPLETED, then shows its associations', async () => {
    await page.getByLabel('Start date').fill(isoDay(30));
    await page.getByLabel('End date').fill(isoDay(0));
    await page.getByText('Advanced').click();
    await page.getByLabel('Batch size').fill('100');
    await page.getByRole('button', { name: 'Start backfill' }).click();
    await page.waitForURL(LIVE_VIEW);
    completedId = decodeURIComponent(page.url().split('/').pop()!);
    await waitFor('the bar at 100', 90_000, async () => (await valueNow()) === 100);
    await waitFor('status COMPLETED', 30_000, async () => (await status().innerText()) === 'COMPLETED');
    // The summary replaces the live view once pop-health has recorded the outcome; then the associations.
    await page.getByRole('heading', { name: 'Summary' }).waitFor({ timeout: 30_000 });
    const associations = page.getByRole('table', { name: 'The associations this backfill created' });
    await associations.locator('tbody tr').first().waitFor();
    expect(await associations.locator('tbody tr').count()).toBeGreaterThan(0);
    const first = associations.locator('tbody tr').first();
    expect(await first.locator('.grade').innerText()).toMatch(/^(CERTAIN|PROBABLE)$/);
    await first.getByText('Explanation').click();
    const fields = first.getByRole('table', { name: 'Field comparisons' });
    expect(await fields.locator('thead').innerText()).toMatch(/Field\s+Level\s+Weight/);
    const fieldRows = await fields.locator('tbody tr').allInnerTexts();
    expect(fieldRows.length).toBeGreaterThan(2);
    expect(fieldRows.join('\n')).toMatch(/family name\s+\S.*\s+[+-]\d/);
  });

  it('reconnects by itself after a network drop and shows the current state again, then cancels with confirmation', async () => {
    await page.getByRole('link', { name: 'Start a backfill', exact: true }).click();
    await page.getByLabel('Partner', { exact: true }).selectOption({ label: partnerName });
    await waitFor('the uploaded roster', 10_000, async () => (await page.getByLabel('Roster', { exact: true }).inputValue()) !== '');
    await page.getByLabel('Start date').fill(isoDay(364));
    await page.getByLabel('End date').fill(isoDay(0));
    await page.getByText('Advanced').click();
    // One care request per page: slow enough to drop the network and cancel in the middle.
    await page.getByLabel('Batch size').fill('1');
    await page.getByRole('button', { name: 'Start backfill' }).click();
    await page.waitForURL(LIVE_VIEW);
    cancelledId = decodeURIComponent(page.url().split('/').pop()!);
    const processed = async () => Number((await page.locator('.counts dd').first().innerText()).split('/')[0].replace(/\D/g, ''));
    await waitFor('the run to be going', 60_000, async () => (await status().innerText()) === 'RUNNING' && (await processed()) > 0);
    await page.getByText('Live', { exact: true }).waitFor();
    await waitFor('a few percent done', 60_000, async () => (await valueNow()) >= 4);
    await screenshot(page, 'live-view-running');

    dashboard.proxy.down();
    await page.getByText('Reconnecting…').waitFor({ timeout: 15_000 });
    const before = await processed();
    dashboard.proxy.up();
    await page.getByText('Live', { exact: true }).waitFor({ timeout: 30_000 });
    await waitFor('progress after the reconnect', 30_000, async () => (await processed()) > before);

    await page.getByRole('button', { name: 'Cancel backfill' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this backfill?' });
    await dialog.waitFor();
    // Keeping it running closes the dialog and changes nothing.
    await dialog.getByRole('button', { name: 'Keep it running' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await status().innerText()).toBe('RUNNING');
    await page.getByRole('button', { name: 'Cancel backfill' }).click();
    await dialog.getByRole('button', { name: 'Yes, cancel the backfill' }).click();
    await waitFor('status CANCELLED', 30_000, async () => (await status().innerText()) === 'CANCELLED');
    await page.getByRole('heading', { name: 'Summary' }).waitFor({ timeout: 30_000 });
  });

  it('lists both backfills in the history, filters them, and opens one', async () => {
    await page.getByRole('link', { name: 'History', exact: true }).click();
    const table = page.getByRole('table', { name: 'Backfills, oldest change first' });
    await table.locator('tbody tr').first().waitFor();
    const rowOf = (id: string) =>
      table.locator('tbody tr').filter({ has: page.locator(`a[href="/admin/backfills/${encodeURIComponent(id)}"]`) });
    await waitFor('both rows', 10_000, async () => (await rowOf(completedId).count()) === 1 && (await rowOf(cancelledId).count()) === 1);
    expect(await rowOf(completedId).innerText()).toMatch(
      new RegExp(`COMPLETED\\s+${DEMO_PARTNER.name}\\s+dev-admin\\s+${isoDay(30)} – ${isoDay(0)}`),
    );
    expect(await rowOf(cancelledId).innerText()).toMatch(new RegExp(`CANCELLED\\s+${partnerName}\\s+dev-admin`));
    await screenshot(page, 'history');

    await page.getByLabel('Status').selectOption('CANCELLED');
    await waitFor(
      'only cancelled backfills',
      10_000,
      async () => (await rowOf(completedId).count()) === 0 && (await rowOf(cancelledId).count()) === 1,
    );
    expect(await table.locator('tbody .status').allInnerTexts()).toEqual(expect.arrayContaining(['CANCELLED']));
    expect(new Set(await table.locator('tbody .status').allInnerTexts())).toEqual(new Set(['CANCELLED']));
    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Partner', { exact: true }).selectOption({ label: partnerName });
    await waitFor(
      'only the new partner',
      10_000,
      async () => (await rowOf(completedId).count()) === 0 && (await rowOf(cancelledId).count()) === 1,
    );

    await rowOf(cancelledId).getByRole('link').click();
    await page.getByRole('heading', { name: 'Summary' }).waitFor();
    expect(await status().innerText()).toBe('CANCELLED');
  });

  it('works with the keyboard alone', async () => {
    const keyboardPage = await dashboard.context.newPage();
    try {
      await keyboardPage.goto(`${dashboard.origin}/admin/backfills`);
      // sessionStorage is per tab: a new tab starts at sign-in.
      await keyboardPage.getByLabel('Token').waitFor();
      const focused = () =>
        keyboardPage.evaluate<string>("document.activeElement?.textContent?.trim() || document.activeElement?.id || ''");
      const tabTo = async (text: string) => {
        for (let i = 0; i < 30 && (await focused()) !== text; i++) await keyboardPage.keyboard.press('Tab');
        expect(await focused()).toBe(text);
      };
      await tabTo('Use development admin token');
      await keyboardPage.keyboard.press('Enter');
      await keyboardPage.getByText('Signed in as').waitFor();
      await keyboardPage.getByRole('table', { name: 'Backfills, oldest change first' }).waitFor();
      await tabTo('Start a backfill');
      await keyboardPage.keyboard.press('Enter');
      await keyboardPage.getByRole('heading', { name: 'Start a backfill' }).waitFor();
      // The form's fields are reached in order, and Enter submits it.
      await tabTo('Start backfill');
      await keyboardPage.keyboard.press('Enter');
      await keyboardPage.locator('.field-error').first().waitFor();
      expect(await keyboardPage.locator('#bf-start').getAttribute('aria-invalid')).toBe('true');
      await screenshot(keyboardPage, 'keyboard');
    } finally {
      await keyboardPage.close();
    }
  });

  it('passes axe-core WCAG 2.1 AA checks (contrast among them) and fits 1280×800 and 390 px wide', async () => {
    const pages: [string, string][] = [
      ['/admin/', 'Partners and rosters'],
      ['/admin/backfills/new', 'Start a backfill'],
      ['/admin/backfills', 'History'],
      [`/admin/backfills/${encodeURIComponent(completedId)}`, 'Summary'],
    ];
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 800 });
      for (const [url, heading] of pages) {
        await page.goto(`${dashboard.origin}${url}`);
        await page.getByRole('heading', { name: heading }).first().waitFor();
        await page.waitForLoadState('networkidle').catch(() => {});
        expect({ url, width, violations: await accessibilityViolations(page) }).toEqual({ url, width, violations: [] });
        const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
        expect({ url, width, overflow }).toEqual({ url, width, overflow: 0 });
      }
      await screenshot(page, `history-${width}`);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    // The sign-in page, in a new tab (signed out).
    const signIn = await dashboard.context.newPage();
    await signIn.goto(`${dashboard.origin}/admin/`);
    await signIn.getByLabel('Token').waitFor();
    expect(await accessibilityViolations(signIn)).toEqual([]);
    await signIn.close();
  });

  it('opens GraphiQL at /graphql from a browser, with the dev admin token pre-filled, and runs a query and a subscription', async () => {
    const ide = await dashboard.context.newPage();
    const outside: string[] = [];
    ide.on('request', (request: Request) => {
      if (
        !request.url().startsWith(dashboard.origin) &&
        !request.url().startsWith('ws://127.0.0.1') &&
        !/^(data|blob):/.test(request.url())
      )
        outside.push(request.url());
    });
    // The editor (Monaco) lays text out with no-break spaces.
    const resultText = async () => (await ide.locator('.result-window').innerText()).replace(/\u00a0/g, ' ');
    try {
      await ide.goto(`${dashboard.origin}/graphql`);
      const run = ide.getByRole('button', { name: /^Execute query/ });
      await run.waitFor({ timeout: 30_000 });
      await ide.getByText('Bearer ey').first().waitFor();
      await run.click();
      await ide.locator('.result-window').getByText('transactionTime').waitFor({ timeout: 20_000 });
      expect(await resultText()).toContain(DEMO_PARTNER.name);
      await screenshot(ide, 'ide-query');

      // A subscription through graphql-ws: a roster ingested meanwhile arrives as a dataLoaded event.
      await ide.goto(
        `${dashboard.origin}/graphiql?query=${encodeURIComponent('subscription { dataLoaded { kind source partner { name } } }')}`,
      );
      await ide.getByRole('button', { name: /^Execute query/ }).click();
      await ide.getByRole('button', { name: /^Stop query/ }).waitFor();
      const token = await signDevToken(dashboard.dataDir, { subject: 'test', role: 'admin' });
      const upload = await fetch(
        `${dashboard.origin}/rosters?partnerId=${DEMO_PARTNERS[1].id}&kind=CURRENT&fileName=ide-subscription.csv`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
          body: `${HEADER}\nIDE-1,Ann,,Lee,1950-06-05,F,,1 Main St,Denver,CO,80201\n`,
        },
      );
      expect(upload.status).toBe(201);
      await ide.locator('.result-window').getByText('ide-subscription.csv').waitFor({ timeout: 20_000 });
      expect(await resultText()).toContain(DEMO_PARTNERS[1].name);
      await screenshot(ide, 'ide-subscription');
      expect(outside).toEqual([]);
    } finally {
      await ide.close();
    }
  });
});
