// The demo organization in a real browser: its user logs in, sees the
// dashboard's figures and the demo integrations, and runs ROAS Guardian on
// the sample data, watching its events arrive until it succeeds.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer } from '../../test/e2e/server.mjs';
import { SLOW_MACHINE, followRun, openPage, screenshot } from './browser.mjs';

const TIMEOUT = 90_000;
const DEMO_EMAIL = 'demo@omnify.example';
const DEMO_PASSWORD = 'sample-store-walkthrough-7';

describe('the demo user', { timeout: 6 * TIMEOUT }, () => {
  let server;
  let browser;
  let page;
  let seen;
  let skip = '';

  before(async () => {
    server = await startServer({ OMNIFY_DEMO: 'true', OMNIFY_DEMO_PASSWORD: DEMO_PASSWORD, ...SLOW_MACHINE });
    // The demo organization comes with Organization.demo; a server built
    // without it (an older binary given as OMNIFY_BIN) has no demo to log in to.
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __type(name: "Organization") { fields { name } } }' }),
    });
    const fields = (await res.json()).data?.__type?.fields?.map((f) => f.name) ?? [];
    if (!fields.includes('demo')) {
      skip = 'this server has no demo organization (Organization.demo is not in its schema)';
      return;
    }
    ({ browser, page, seen } = await openPage(server.base));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    assert.deepEqual(seen?.foreign ?? [], [], 'requests to other origins');
    assert.deepEqual(seen?.errors ?? [], [], 'page errors or policy violations');
  });

  test('logs in with the printed credentials', { timeout: TIMEOUT }, async (t) => {
    if (skip) return t.skip(skip);
    assert.match(server.stdout(), /demo@omnify\.example/, 'the server prints the demo login');
    await page.goto(server.base + '/login');
    await page.getByLabel('Email').fill(DEMO_EMAIL);
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    const terms = page.getByRole('heading', { name: 'Accept the updated terms' });
    const dashboard = page.getByRole('heading', { name: 'Dashboard' });
    await terms.or(dashboard).first().waitFor();
    if (await terms.isVisible()) {
      await page.getByRole('checkbox', { name: /I have read and accept/ }).check();
      await page.getByRole('button', { name: 'Accept and continue' }).click();
    }
    await dashboard.waitFor();
    await page.getByRole('textbox', { name: 'Organization' }).and(page.locator('[value="Demo Store (sample data)"]')).waitFor();
  });

  test('sees the dashboard figures', { timeout: TIMEOUT }, async (t) => {
    if (skip) return t.skip(skip);
    const revenue = page.getByTestId('kpi-Revenue');
    await revenue.waitFor();
    await page.waitForFunction(() => {
      const el = document.querySelector('[data-testid="kpi-Revenue"]');
      return el && /[1-9]/.test(el.textContent ?? '');
    });
    for (const label of ['Ad spend', 'ROAS', 'Orders', 'Email revenue']) {
      await page.getByRole('group', { name: label, exact: true }).getByText('vs previous period').waitFor();
    }
    await page.getByRole('img', { name: 'Daily revenue and ad spend' }).locator('.recharts-surface').first().waitFor();
    await page.getByRole('table', { name: 'Pipeline by stage' }).waitFor();
    await page.getByRole('region', { name: 'Email revenue by flow' }).locator('[role="progressbar"], .mantine-Progress-root').first().waitFor();
    await screenshot(page, 'demo-01-dashboard');
    await page.getByRole('group', { name: 'Date range' }).or(page.getByLabel('Date range')).first().getByText('Last 90 days').click();
    await page.getByText('compared with the 90 days before').waitFor();
    await screenshot(page, 'demo-02-dashboard-90-days');
  });

  test('sees its integrations connected, marked as demo', { timeout: TIMEOUT }, async (t) => {
    if (skip) return t.skip(skip);
    await page.getByRole('link', { name: 'Integrations', exact: true }).click();
    for (const name of ['Triple Whale', 'HubSpot', 'Klaviyo']) {
      const card = page.getByRole('region', { name });
      await card.getByText('Connected', { exact: true }).waitFor();
      await card.getByText('Demo', { exact: true }).waitFor();
    }
    await screenshot(page, 'demo-03-integrations');
  });

  test('runs ROAS Guardian and watches its events arrive until it succeeds', { timeout: TIMEOUT }, async (t) => {
    if (skip) return t.skip(skip);
    await page.getByRole('link', { name: 'Agents', exact: true }).click();
    await page.getByRole('link', { name: 'Open ROAS Guardian' }).click();
    await page.getByRole('button', { name: 'Run ROAS Guardian' }).click();
    await page.getByRole('heading', { name: 'ROAS Guardian run' }).waitFor();
    await followRun(page);
    const findings = page.getByRole('region', { name: 'Findings' });
    await findings.getByRole('alert').first().waitFor();
    await screenshot(page, 'demo-04-roas-guardian');
  });
});
