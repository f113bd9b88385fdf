// The app in a real browser against the real binary: a new store owner signs
// up, sees the empty dashboard, connects the three platforms (the fakes the
// Node suite uses), sees the figures, runs ROAS Guardian, creates an API key
// and uses it in the playground for a query and a subscription.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startPlatforms } from '../../test/e2e/platforms.mjs';
import { startServer } from '../../test/e2e/server.mjs';
import { SLOW_MACHINE, followRun, openPage, screenshot, watch } from './browser.mjs';

const TIMEOUT = 60_000;
const PASSWORD = 'correct horse battery';
const SHOP = 'ada-teas.myshopify.com';
const KEYS = { tripleWhale: 'tw-e2e-browser-key', hubSpot: 'pat-e2e-browser-token', klaviyo: 'pk_e2e_browser_key' };

describe('a new store owner', { timeout: 5 * TIMEOUT }, () => {
  let server;
  let platforms;
  let browser;
  let page;
  let seen;
  let apiKey;

  before(async () => {
    platforms = await startPlatforms();
    // Ninety days of generated figures, deals, campaigns and flows.
    await platforms.addAccount({ name: 'browser', keys: KEYS, shopDomain: SHOP, organizationName: 'Ada’s Teas' });
    server = await startServer({ OMNIFY_DEMO: 'false', ...platforms.env, ...SLOW_MACHINE });
    ({ browser, page, seen } = await openPage(server.base, { timeout: 20_000 }));
  }, { timeout: 240_000 });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await platforms?.close();
    // Everything the app loaded came from the server, and nothing broke.
    assert.deepEqual(seen?.foreign ?? [], [], 'requests to other origins');
    assert.deepEqual(seen?.errors ?? [], [], 'page errors or policy violations');
  });

  test('signs up, accepting the legal documents in the same step', { timeout: TIMEOUT }, async () => {
    await page.goto(server.base + '/');
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
    await page.getByLabel('Your name').fill('Ada Shopkeeper');
    await page.getByLabel('Store name').fill('Ada’s Teas');
    await page.getByLabel('Work email').fill('ada@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    // The documents are linked, and creating the account needs them accepted.
    await page.getByRole('link', { name: /Terms of Service/i }).waitFor();
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('Accept the documents to create your account.').waitFor();
    await page.getByRole('checkbox', { name: /I accept/ }).check();
    await screenshot(page, '01-signup');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  });

  test('sees the empty dashboard, which says what to connect', { timeout: TIMEOUT }, async () => {
    await page.getByText('Connect Triple Whale to see revenue, ad spend, ROAS and orders').waitFor();
    await page.getByText('Connect HubSpot to see your deals by stage').waitFor();
    await page.getByText('Connect Klaviyo to see your email campaigns').waitFor();
    await page.getByText('No agent activity yet').waitFor();
    await screenshot(page, '02-dashboard-empty');
  });

  test('connects the three platforms and follows their first syncs', { timeout: TIMEOUT }, async () => {
    await page.getByRole('link', { name: 'Integrations', exact: true }).click();
    await page.getByRole('heading', { name: 'Integrations', level: 1 }).waitFor();
    for (const name of ['Triple Whale', 'HubSpot', 'Klaviyo']) {
      await page.getByRole('region', { name }).getByText('Disconnected').waitFor();
    }
    await page.getByRole('button', { name: 'Connect Triple Whale' }).click();
    await page.getByLabel('Shop domain').waitFor();
    await page.getByLabel('API key').waitFor();
    await screenshot(page, '03-integrations-connect');
    // A key the platform refuses: the error shows next to the key.
    await page.getByLabel('Shop domain').fill(SHOP);
    await page.getByLabel('API key').fill('tw-wrong-key');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByRole('dialog').locator('.mantine-InputWrapper-error, [role="alert"]').first().waitFor();
    await screenshot(page, '03-integrations-connect-error');
    await page.getByLabel('API key').fill(KEYS.tripleWhale);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    for (const [name, key] of [['HubSpot', KEYS.hubSpot], ['Klaviyo', KEYS.klaviyo]]) {
      await page.getByRole('button', { name: `Connect ${name}` }).click();
      await page.getByLabel('API key').fill(key);
      await page.getByRole('button', { name: 'Connect', exact: true }).click();
      await page.getByRole('dialog').waitFor({ state: 'detached' });
    }
    // Each first sync runs; its progress arrives over the subscription.
    for (const name of ['Triple Whale', 'HubSpot', 'Klaviyo']) {
      const card = page.getByRole('region', { name });
      await card.getByText('Connected', { exact: true }).waitFor({ timeout: 45_000 });
      await card.getByText(/Last run wrote [\d,]+ records/).waitFor({ timeout: 45_000 });
    }
    await screenshot(page, '03-integrations-connected');
  });

  test('sees the dashboard figures', { timeout: TIMEOUT }, async () => {
    await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
    await page.waitForFunction(() => /[1-9]/.test(document.querySelector('[data-testid="kpi-Revenue"]')?.textContent ?? ''), null, { timeout: 30_000 });
    for (const label of ['Ad spend', 'ROAS', 'Orders', 'Email revenue']) {
      await page.getByRole('group', { name: label, exact: true }).getByText('vs previous period').waitFor();
    }
    await page.getByRole('img', { name: 'Daily revenue and ad spend' }).locator('.recharts-surface').first().waitFor();
    await page.getByRole('table', { name: 'Pipeline by stage' }).waitFor();
    await screenshot(page, '03-dashboard-figures');
  });

  test('sees the agents', { timeout: TIMEOUT }, async () => {
    await page.getByRole('link', { name: 'Agents', exact: true }).click();
    await page.getByRole('heading', { name: 'Agents', level: 1 }).waitFor();
    await page.getByRole('region', { name: 'ROAS Guardian' }).waitFor();
    await screenshot(page, '04-agents');
    await page.getByRole('link', { name: 'Open ROAS Guardian' }).click();
    await page.getByRole('heading', { name: 'ROAS Guardian', level: 1 }).waitFor();
    await page.getByText('No runs yet').waitFor();
    await screenshot(page, '05-agent');
  });

  test('runs ROAS Guardian and follows its events live until it succeeds', { timeout: TIMEOUT }, async () => {
    // On the agent's page from the test before.
    await page.getByRole('button', { name: 'Run ROAS Guardian' }).click();
    await page.getByRole('heading', { name: 'ROAS Guardian run' }).waitFor();
    await followRun(page);
    await page.getByRole('region', { name: 'Findings' }).getByRole('alert').first().waitFor();
    await screenshot(page, '05-execution');
    // The dashboard's activity feed lists the run.
    await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
    await page.getByLabel('Agent activity').getByRole('link', { name: 'ROAS Guardian' }).first().waitFor();
  });

  test('creates an API key and sees its secret once', { timeout: TIMEOUT }, async () => {
    await page.getByRole('link', { name: 'Settings' }).first().click();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    await page.getByRole('table', { name: 'Members' }).getByText('ada@example.com').waitFor();
    await screenshot(page, '06-settings-members');
    await page.getByRole('tab', { name: 'API keys' }).click();
    await page.getByText('No API keys yet').waitFor();
    await page.getByLabel('Key name').fill('Reporting partner');
    await page.getByRole('textbox', { name: 'Access' }).click();
    await page.getByRole('option', { name: 'Read and write' }).click();
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = page.getByTestId('api-key-secret');
    await secret.waitFor();
    apiKey = (await secret.textContent()).trim();
    assert.match(apiKey, /^omk_/);
    await page.getByRole('button', { name: 'Copy the secret' }).waitFor();
    await page.getByRole('table', { name: 'API keys' }).getByText('Reporting partner').waitFor();
    await screenshot(page, '07-settings-api-keys');
    await page.getByRole('tab', { name: 'Account' }).click();
    await page.getByLabel('Current password').waitFor();
    await screenshot(page, '08-settings-account');
  });

  test('logs out, and back in after a wrong password', { timeout: TIMEOUT }, async () => {
    await page.getByRole('button', { name: 'Account menu' }).click();
    await page.getByRole('menuitem', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').getByText('The email address or password is incorrect.').waitFor();
    await screenshot(page, '09-login-error');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.getByRole('group', { name: 'Revenue', exact: true }).getByText('vs previous period').waitFor();
  });

  test('runs a query and a subscription with the key in the playground', { timeout: TIMEOUT }, async () => {
    assert.ok(apiKey, 'the API key test ran first');
    // A browser without the session: only the key authenticates.
    const partner = await browser.context.browser()?.newContext?.() ?? null;
    const pg = partner ? await partner.newPage() : await browser.context.newPage();
    if (!partner) await browser.context.clearCookies();
    const pgSeen = watch(pg, server.base);
    pg.setDefaultTimeout(20_000);
    await pg.goto(server.base + '/playground');
    await pg.locator('.graphiql-container').waitFor();
    // It opens with the documented example.
    await pg.locator('.graphiql-query-editor').getByText('Welcome to the Omnify GraphQL playground').waitFor();
    await setEditor(pg, '.graphiql-editor-tool .CodeMirror:visible', JSON.stringify({ Authorization: `Bearer ${apiKey}` }, null, 2), 'Headers');
    await setEditor(pg, '.graphiql-query-editor .CodeMirror', 'query Partner {\n  me {\n    role\n    apiKey { name scope }\n    organization { name }\n  }\n}\n');
    // GraphiQL names the tab after the operation once it has read the edit.
    await pg.locator('.graphiql-tab-active').getByText('Partner').waitFor();
    await pg.getByRole('button', { name: /Execute query/ }).click();
    await resultShows(pg, 'Reporting partner');
    await screenshot(pg, '10-playground-query');

    await setEditor(pg, '.graphiql-query-editor .CodeMirror', 'subscription Activity {\n  agentActivity {\n    status\n    agent { name }\n  }\n}\n');
    await pg.locator('.graphiql-tab-active').getByText('Activity').waitFor();
    await pg.getByRole('button', { name: /Execute query/ }).click();
    // Something to watch: the partner runs an agent with the same key.
    const gql = async (query, variables) => {
      const res = await fetch(server.base + '/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
        body: JSON.stringify({ query, variables }),
      });
      return res.json();
    };
    // The subscription must be live before the run starts.
    await pg.getByRole('button', { name: /Stop/ }).waitFor();
    await new Promise((r) => setTimeout(r, 500));
    const agents = await gql('{ agents { id key } }');
    const roas = agents.data.agents.find((a) => a.key === 'roas-guardian');
    const run = await gql('mutation($input: RunAgentInput!) { runAgent(input: $input) { execution { id } } }', { input: { agentId: roas.id } });
    assert.ok(run.data?.runAgent?.execution?.id, JSON.stringify(run));
    await resultShows(pg, 'ROAS Guardian');
    await screenshot(pg, '11-playground-subscription');
    // The partner guide is in the playground, offline.
    await pg.getByRole('button', { name: 'Show Partner guide' }).click();
    await pg.locator('.omnify-guide').getByRole('heading', { name: 'API keys' }).waitFor();
    await screenshot(pg, '12-playground-guide');
    await pg.close();
    await partner?.close();
    assert.deepEqual(pgSeen.foreign, [], 'the playground asked another origin');
    assert.deepEqual(pgSeen.errors, [], 'the playground had errors');
  });
});

/** Waits for GraphiQL's result pane to show text; fails with what it shows. */
async function resultShows(page, text) {
  const pane = page.locator('.result-window');
  try {
    await pane.getByText(text).first().waitFor();
  } catch (e) {
    e.message += `\nthe result pane shows: ${await pane.innerText().catch(() => '(nothing)')}`;
    throw e;
  }
}

/** Replaces the text of a GraphiQL (CodeMirror) editor, as pasting would. */
async function setEditor(page, selector, text, tab) {
  if (tab) {
    const button = page.getByRole('button', { name: tab, exact: true }).or(page.getByRole('tab', { name: tab, exact: true }));
    if (!(await page.locator(selector).first().isVisible())) await button.first().click();
  }
  const editor = page.locator(selector).first();
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}
