// Debian's Chromium driven by playwright-core: headless, on a fresh profile,
// with nothing that reaches beyond this machine.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

/**
 * Server settings for a busy test machine: the browser, the server and its
 * embedded database share the cores, so database calls get more time than
 * the defaults give a production deployment.
 */
export const SLOW_MACHINE = {
  OMNIFY_MONGODB_CONNECT_TIMEOUT: '60s',
  OMNIFY_MONGODB_OP_TIMEOUT: '30s',
  OMNIFY_HTTP_REQUEST_TIMEOUT: '60s',
};

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'screenshots');

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * Starts Chromium on a profile of its own. Returns the browser context and
 * close(), which also removes the profile.
 */
export async function launch({ viewport = { width: 1440, height: 900 } } = {}) {
  const profile = mkdtempSync(path.join(tmpdir(), 'omnify-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport,
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  const close = async () => {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}

/**
 * Launches Chromium and opens one page on it whose actions wait at most
 * timeout, watched (see watch) against the server at base.
 */
export async function openPage(base, { timeout = 30_000 } = {}) {
  const browser = await launch();
  const page = await browser.context.newPage();
  page.setDefaultTimeout(timeout);
  return { browser, page, seen: watch(page, base) };
}

/** Saves a full-page screenshot under e2e/screenshots (not committed). */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Records every request a page makes to another origin than the server's,
 * and every page error, so a test can assert there are none.
 */
export function watch(page, base) {
  const origin = new URL(base).origin;
  const foreign = [];
  const errors = [];
  page.on('request', (req) => {
    const url = req.url();
    if (url.startsWith('data:') || url.startsWith('blob:')) return;
    const u = new URL(url);
    const sameHost = u.host === new URL(origin).host;
    if (!sameHost) foreign.push(url);
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/.test(msg.text())) errors.push(msg.text());
  });
  return { foreign, errors };
}

/**
 * Waits on an execution page until the run succeeded, and checks that its
 * log came over the subscription in order: queued, started, the steps, then
 * succeeded, each once.
 */
export async function followRun(page) {
  const events = page.getByLabel('Events');
  await events.getByText('Started').first().waitFor({ timeout: 45_000 });
  await page.getByTestId('execution-status').getByText('Succeeded').waitFor({ timeout: 45_000 });
  await events.getByText('Succeeded').waitFor();
  const numbers = await events.getByText(/^#\d+ · /).allTextContents();
  const seqs = numbers.map((t) => Number(/^#(\d+)/.exec(t)[1]));
  assert.ok(seqs.length >= 3, `only ${seqs.length} events shown`);
  assert.deepEqual(seqs, seqs.map((_, i) => i + 1), 'events out of order, missing or repeated');
}
