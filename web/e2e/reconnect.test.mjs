// A lost live connection: the app says it is reconnecting, and once the
// server is back it reconnects by itself and live updates flow again.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { makeDataDir, startServer } from '../../test/e2e/server.mjs';
import { SLOW_MACHINE, openPage, screenshot } from './browser.mjs';

const TIMEOUT = 90_000;

/** A loopback port nothing listens on now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

describe('the live connection', { timeout: 3 * TIMEOUT }, () => {
  let server;
  let browser;
  let page;
  let seen;
  let env;
  let dataDir;

  before(async () => {
    dataDir = await makeDataDir();
    env = { OMNIFY_DEMO: 'false', OMNIFY_HTTP_ADDR: `127.0.0.1:${await freePort()}`, ...SLOW_MACHINE };
    server = await startServer(env, { dataDir });
    ({ browser, page, seen } = await openPage(server.base));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    assert.deepEqual(seen?.foreign ?? [], [], 'requests to other origins');
  });

  test('shows that it is reconnecting while the server is away, and recovers by itself', { timeout: TIMEOUT }, async () => {
    await page.goto(server.base + '/signup');
    await page.getByLabel('Your name').fill('Rae Reconnect');
    await page.getByLabel('Store name').fill('Rae’s Records');
    await page.getByLabel('Work email').fill('rae@example.com');
    await page.getByLabel('Password').fill('vinyl-spins-at-33rpm');
    await page.getByRole('checkbox', { name: /I accept/ }).check();
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    // The dashboard's activity feed holds a subscription open.
    await page.getByRole('status').getByText('Live', { exact: true }).waitFor();

    await server.stop();
    await page.getByRole('status').getByText('Reconnecting…').waitFor();
    await page.getByText('The live connection to Omnify was lost').waitFor();
    await screenshot(page, 'reconnect-01-lost');

    server = await startServer(env, { dataDir });
    await page.getByRole('status').getByText('Live', { exact: true }).waitFor({ timeout: 45_000 });
    assert.equal(await page.getByText('The live connection to Omnify was lost').count(), 0);
    await screenshot(page, 'reconnect-02-back');

    // Live updates flow again: a run's events stream over the new socket.
    await page.getByRole('link', { name: 'Agents', exact: true }).click();
    await page.getByRole('link', { name: 'Open Email Auditor' }).click();
    await page.getByRole('button', { name: 'Run Email Auditor' }).click();
    await page.getByRole('heading', { name: 'Email Auditor run' }).waitFor();
    // Without Klaviyo it fails at once, saying so: its log still arrives.
    await page.getByLabel('Events').getByText('Started', { exact: true }).waitFor();
    await page.getByLabel('Events').getByText('Failed', { exact: true }).waitFor();
    await page.getByRole('link', { name: 'Go to Integrations' }).waitFor();
    await screenshot(page, 'reconnect-03-run');
  });
});
