// Integrations against fake Triple Whale, HubSpot and Klaviyo APIs
// (platforms.mjs, a client of the Go fake the Go tests use): connecting (a
// rejected key stores nothing, a good one is not readable in the database
// files), syncing through the in-process worker,
// the dashboard figures matching what the platforms hold, and failures
// injected into the platforms: a key revoked mid-life, a 429 with
// Retry-After, and a platform answering 500 forever.

import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fetchWithin, startServer, withLogs } from './server.mjs';
import { signUp, waitFor } from './gql.mjs';
import { day, startPlatforms } from './platforms.mjs';

const TW_KEY = 'tw-e2e-key-7f3a9c1d5e2b4a6f8091';
const HS_TOKEN = 'pat-na1-e2e-0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0';
const KL_KEY = 'pk_e2e_5c4b3a29181706f5e4d3c2b1a0';
const SHOP = 'e2e-shop.myshopify.com';
const KL_ORG = 'E2E Klaviyo Store';

// Triple Whale: two days in the last week, one in the week before.
const TW_DAYS = {
  [day(-2)]: { sales: 1000.5, ads: 200, orders: 10 },
  [day(-4)]: { sales: 500, ads: 50.25, orders: 5 },
  [day(-9)]: { sales: 300, ads: 100, orders: 3 },
};
// Klaviyo "Placed Order" value per day: every order Klaviyo recorded,
// which is not what email earned.
const PLACED_ORDER = { [day(-2)]: 120.75, [day(-5)]: 30, [day(-10)]: 45 };
// What Klaviyo's reports attribute to email, by send date: the campaigns'
// (CAMPAIGNS below, sent on days -3 and -10) and the flow's per day.
const CAMPAIGN_REVENUE = { C1: 80.5, C2: 40 };
const FLOW_DAYS = { [day(-2)]: { F1: { revenue: 12.25, conversions: 1 } }, [day(-9)]: { F1: { revenue: 5, conversions: 1 } } };
const ATTRIBUTED = { [day(-3)]: 80.5, [day(-2)]: 12.25, [day(-10)]: 40, [day(-9)]: 5 };
// Both, as the fake's days of figures; every other day is zero.
const DAYS = {};
for (const [d, v] of Object.entries(TW_DAYS)) {
  DAYS[d] = { ...DAYS[d], revenue: v.sales, adSpend: v.ads, orders: v.orders, netProfit: v.sales - v.ads };
}
for (const [d, v] of Object.entries(PLACED_ORDER)) DAYS[d] = { ...DAYS[d], emailOrders: 2, emailRevenue: v };

const iso = (days, hh = '12') => `${day(days)}T${hh}:00:00.000Z`;
// HubSpot deals in the order the CRM lists them, most recently updated first.
const deal = (id, name, amount, stage, closeIn, createdAgo, updatedAgo) => ({
  id,
  name,
  amount,
  stage,
  pipeline: 'default',
  ...(closeIn === null ? {} : { closeDate: iso(closeIn) }),
  createdAt: iso(createdAgo),
  updatedAt: iso(updatedAgo),
});
const DEALS = [
  deal('101', 'Acme renewal', 5000, 'appointmentscheduled', 20, -30, -1),
  deal('102', 'Beta upsell', 2500.5, 'qualifiedtobuy', 10, -30, -2),
  deal('103', 'Gamma new', 1000, 'appointmentscheduled', 15, -30, -3),
  deal('104', 'Delta won', 8000, 'closedwon', -5, -40, -4),
  deal('105', 'Epsilon lost', 300, 'closedlost', -6, -40, -5),
  deal('106', 'Zeta no amount', null, 'presentationscheduled', null, -20, -6),
];
// Empty strings reach omnify as HubSpot's nulls.
const CONTACTS = [
  { id: '201', email: 'ann@e2e.example.com', firstName: 'Ann', lastName: 'Lee', createdAt: iso(-3), updatedAt: iso(-1) },
  { id: '202', email: 'bo@e2e.example.com', firstName: 'Bo', lastName: 'Ng', createdAt: iso(-2), updatedAt: iso(-1) },
  { id: '203', email: '', firstName: 'Cy', lastName: '', createdAt: iso(-1), updatedAt: iso(-1) },
];
const campaign = (id, name, status, sendTime) => ({
  id,
  name,
  status,
  ...(sendTime ? { sendTime } : {}),
  ...(CAMPAIGN_REVENUE[id] ? { revenue: CAMPAIGN_REVENUE[id], conversions: 2 } : {}),
  createdAt: '2024-01-01T00:00:00Z',
  updatedAt: sendTime ?? '2024-01-02T00:00:00Z',
});
const CAMPAIGNS = [
  campaign('C1', 'Black Friday', 'Sent', `${day(-3)}T15:00:00+00:00`),
  campaign('C2', 'Welcome back', 'Sent', `${day(-10)}T09:30:00+00:00`),
  campaign('C3', 'Holiday draft', 'Draft', null),
];
const FLOWS = [{ id: 'F1', name: 'Welcome series', status: 'live', triggerType: 'Added to List' }];

const INTEGRATIONS = `{ integrations {
  platform status accountLabel connectedAt lastSyncedAt lastError
  syncs(first: 1) { nodes { id status recordsWritten error startedAt finishedAt } totalCount }
} }`;

const near = (actual, expected, what) =>
  assert.ok(Math.abs(actual - expected) < 1e-6 * Math.max(1, Math.abs(expected)), `${what}: expected ${expected}, got ${actual}`);

describe('integrations', () => {
  let platforms;
  let account;
  let server;
  let owner;

  before(async () => {
    platforms = await startPlatforms();
    account = await platforms.addAccount({
      name: 'e2e',
      keys: { tripleWhale: TW_KEY, hubSpot: HS_TOKEN, klaviyo: KL_KEY },
      shopDomain: SHOP,
      organizationName: KL_ORG,
      days: DAYS,
      deals: DEALS,
      contacts: CONTACTS,
      campaigns: CAMPAIGNS,
      flows: FLOWS,
      flowDays: FLOW_DAYS,
    });
    server = await startServer(platforms.env);
    owner = await withLogs(server, () => signUp(server, { tag: 'integrations', organizationName: 'Integrations Org' }));
  });

  after(async () => {
    try {
      if (server) assert.equal(await server.stop(), 0, `server did not exit cleanly\n${server.logs()}`);
    } finally {
      await platforms?.close();
    }
  });

  /** withLogs plus the fake platforms' request logs. */
  const withAllLogs = (fn) =>
    withLogs(server, async () => {
      try {
        return await fn();
      } catch (e) {
        if (e && typeof e === 'object') {
          try {
            e.message += `\n${await platforms.log()}`;
          } catch {
            // read-only message
          }
        }
        throw e;
      }
    });

  async function integration(platform) {
    const list = (await owner.client.data(INTEGRATIONS)).integrations;
    const i = list.find((x) => x.platform === platform);
    assert.ok(i, `no ${platform} in ${JSON.stringify(list)}`);
    return i;
  }

  /** Queues a sync and waits (at most 60 s) until that run has finished; resolves with the integration. */
  async function syncAndWait(platform) {
    const payload = (await owner.client.data(`mutation ($p: Platform!) { syncIntegration(input: { platform: $p }) { sync { id status platform } integration { id platform } } }`, { p: platform })).syncIntegration;
    const run = payload.sync;
    assert.equal(payload.integration.platform, platform);
    assert.equal(run.platform, platform);
    assert.ok(['QUEUED', 'RUNNING'].includes(run.status), `syncIntegration returned ${JSON.stringify(run)}`);
    return waitFor(
      `the ${platform} run ${run.id} to finish`,
      async () => {
        const i = await integration(platform);
        const last = i.syncs.nodes[0];
        const done = last && last.id === run.id && (last.status === 'SUCCEEDED' || last.status === 'FAILED') && i.status !== 'SYNCING';
        return { ok: done, value: i };
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  }

  const CONNECT = `mutation ($input: ConnectIntegrationInput!) {
    connectIntegration(input: $input) { integration { id platform status accountLabel connectedAt lastError } }
  }`;

  test('a key the platform rejects is an INTEGRATION_ERROR and nothing is stored', { timeout: 60_000 }, () =>
    withAllLogs(async () => {
      const { error } = await owner.client.fails('INTEGRATION_ERROR', CONNECT, { input: { platform: 'HUBSPOT', apiKey: 'pat-na1-wrong-token' } });
      assert.ok(!error.message.includes('pat-na1-wrong-token'), `the error echoes the key: ${error.message}`);
      await owner.client.fails('INTEGRATION_ERROR', CONNECT, { input: { platform: 'TRIPLE_WHALE', apiKey: 'tw-wrong-key', shopDomain: SHOP } });
      await owner.client.fails('INTEGRATION_ERROR', CONNECT, { input: { platform: 'KLAVIYO', apiKey: 'pk_wrong' } });
      assert.ok((await platforms.requests({ platform: 'hubspot' })).some((r) => r.status === 401), 'HubSpot was never asked');

      // Triple Whale without a shop domain is refused before anything is stored.
      const r = await owner.client.request(CONNECT, { input: { platform: 'TRIPLE_WHALE', apiKey: TW_KEY } });
      assert.ok(r.body?.errors?.length, `TRIPLE_WHALE without shopDomain: ${r.text}`);

      for (const p of ['HUBSPOT', 'TRIPLE_WHALE', 'KLAVIYO']) {
        const i = await integration(p);
        assert.equal(i.status, 'DISCONNECTED', `${p}: ${JSON.stringify(i)}`);
        assert.equal(i.connectedAt, null, `${p}: ${JSON.stringify(i)}`);
      }
    }),
  );

  test('good keys connect; the database files never hold them in plain text', { timeout: 60_000 }, () =>
    withAllLogs(async () => {
      const t = (await owner.client.data(CONNECT, { input: { platform: 'TRIPLE_WHALE', apiKey: TW_KEY, shopDomain: SHOP } })).connectIntegration.integration;
      assert.equal(t.status, 'CONNECTED', JSON.stringify(t));
      assert.equal(t.accountLabel, SHOP);
      assert.ok(t.connectedAt);
      const h = (await owner.client.data(CONNECT, { input: { platform: 'HUBSPOT', apiKey: HS_TOKEN } })).connectIntegration.integration;
      assert.equal(h.status, 'CONNECTED', JSON.stringify(h));
      const k = (await owner.client.data(CONNECT, { input: { platform: 'KLAVIYO', apiKey: KL_KEY } })).connectIntegration.integration;
      assert.equal(k.status, 'CONNECTED', JSON.stringify(k));
      assert.equal(k.accountLabel, KL_ORG);

      // The API never shows the key back.
      const listed = JSON.stringify(await owner.client.data(INTEGRATIONS));
      for (const key of [TW_KEY, HS_TOKEN, KL_KEY]) assert.ok(!listed.includes(key), 'integrations shows a key');

      const dir = path.join(server.dataDir, 'ferretdb');
      const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((f) => f.isFile());
      assert.ok(files.length > 0, `no files under ${dir}`);
      const needles = [TW_KEY, HS_TOKEN, KL_KEY, 'pat-na1-wrong-token'].flatMap((k) => [
        [k, Buffer.from(k, 'utf8')],
        [`${k} (base64)`, Buffer.from(Buffer.from(k).toString('base64'), 'utf8')],
      ]);
      let sawShop = false;
      const leaks = [];
      for (const f of files) {
        const p = path.join(f.parentPath ?? f.path, f.name);
        let bytes;
        try {
          bytes = await readFile(p);
        } catch (e) {
          if (e.code === 'ENOENT') continue; // a journal removed meanwhile
          throw e;
        }
        if (bytes.includes(SHOP)) sawShop = true;
        for (const [what, needle] of needles) if (bytes.includes(needle)) leaks.push(`${what} in ${p}`);
      }
      // The shop domain is stored in the clear: the scan does read the data.
      assert.ok(sawShop, `the shop domain was found in none of ${files.length} files under ${dir}: is the scan reading the database?`);
      assert.deepEqual(leaks, [], 'credentials readable in the database files');
    }),
  );

  test('first syncs succeed, Klaviyo after a 429 with Retry-After: 1', { timeout: 120_000 }, () =>
    withAllLogs(async () => {
      await account.injectFault({ platform: 'klaviyo', path: '/api/campaigns', status: 429, times: 1, retryAfter: 1 });
      const [t, h, k] = await Promise.all(['TRIPLE_WHALE', 'HUBSPOT', 'KLAVIYO'].map(syncAndWait));
      for (const i of [t, h, k]) {
        assert.equal(i.syncs.nodes[0].status, 'SUCCEEDED', `${i.platform}: ${JSON.stringify(i)}`);
        assert.equal(i.status, 'CONNECTED', `${i.platform}: ${JSON.stringify(i)}`);
        assert.ok(i.lastSyncedAt, `${i.platform}: no lastSyncedAt`);
        assert.equal(i.lastError, null, `${i.platform}: ${i.lastError}`);
        assert.ok(i.syncs.nodes[0].recordsWritten > 0, `${i.platform}: recordsWritten ${i.syncs.nodes[0].recordsWritten}`);
      }
      assert.equal((await account.view()).faultsServed['klaviyo 429'], 1, 'the 429 was never served');
      const campaignCalls = await platforms.requests({ platform: 'klaviyo', path: '/api/campaigns' });
      assert.ok(campaignCalls.some((r) => r.status === 200), 'campaigns were not asked again after the 429');
      const summaries = await platforms.requests({ platform: 'triplewhale', path: '/summary-page/get-data' });
      assert.deepEqual(
        summaries.filter((r) => r.status === 400).map((r) => r.body),
        [],
      );
      // One day per request, and the first sync reaches 90 days back.
      const periods = summaries.filter((r) => r.status === 200).map((r) => JSON.parse(r.body).period);
      for (const p of periods) assert.equal(p.start, p.end, `a multi-day request: ${JSON.stringify(p)}`);
      const earliest = periods.map((p) => p.start).sort()[0];
      assert.ok(earliest <= day(-89), `the first sync started at ${earliest}, not 90 days back`);
    }),
  );

  test('marketingSummary matches Triple Whale and Klaviyo: email revenue is what Klaviyo attributes, not every order', { timeout: 20_000 }, () =>
    withAllLogs(async () => {
      const from = day(-7);
      const to = day(-1);
      const s = (
        await owner.client.data(
          `query ($from: Date!, $to: Date!) { marketingSummary(from: $from, to: $to) {
            revenue adSpend roas orders averageOrderValue emailRevenue klaviyoOrders klaviyoOrderRevenue
            emailRevenueByCampaign { id kind klaviyoId name revenue share }
            emailRevenueByFlow(first: 50) { klaviyoId name revenue share }
            previousPeriod { revenue adSpend orders emailRevenue klaviyoOrderRevenue }
            daily { date revenue adSpend orders emailRevenue klaviyoOrderRevenue } } }`,
          { from, to },
        )
      ).marketingSummary;
      const revenue = 1000.5 + 500;
      const spend = 200 + 50.25;
      near(s.revenue, revenue, 'revenue');
      near(s.adSpend, spend, 'adSpend');
      assert.equal(s.orders, 15);
      near(s.roas, revenue / spend, 'roas');
      near(s.averageOrderValue, revenue / 15, 'averageOrderValue');
      near(s.emailRevenue, 80.5 + 12.25, 'emailRevenue');
      near(s.klaviyoOrderRevenue, 120.75 + 30, 'klaviyoOrderRevenue');
      assert.equal(s.klaviyoOrders, 4);
      const fromFake = await account.attributed(from, to);
      near(s.emailRevenue, fromFake.total.revenue, "emailRevenue, as the fake's reports attribute it");
      assert.deepEqual(
        s.emailRevenueByCampaign.map((c) => [c.kind, c.klaviyoId, c.name, c.revenue]),
        [['CAMPAIGN', 'C1', 'Black Friday', 80.5]],
      );
      assert.ok(s.emailRevenueByCampaign[0].id, 'a source without an id');
      assert.deepEqual(
        s.emailRevenueByFlow.map((f) => [f.klaviyoId, f.name, f.revenue]),
        [['F1', 'Welcome series', 12.25]],
      );
      near(s.emailRevenueByCampaign[0].share + s.emailRevenueByFlow[0].share, 1, 'shares');
      // The 7 days before: day -14 .. day -8.
      near(s.previousPeriod.revenue, 300, 'previousPeriod.revenue');
      near(s.previousPeriod.adSpend, 100, 'previousPeriod.adSpend');
      assert.equal(s.previousPeriod.orders, 3);
      near(s.previousPeriod.emailRevenue, 40 + 5, 'previousPeriod.emailRevenue');
      near(s.previousPeriod.klaviyoOrderRevenue, 45, 'previousPeriod.klaviyoOrderRevenue');

      assert.deepEqual(
        s.daily.map((d) => d.date),
        [-7, -6, -5, -4, -3, -2, -1].map(day),
      );
      for (const d of s.daily) {
        near(d.revenue, TW_DAYS[d.date]?.sales ?? 0, `revenue on ${d.date}`);
        near(d.adSpend, TW_DAYS[d.date]?.ads ?? 0, `adSpend on ${d.date}`);
        assert.equal(d.orders, TW_DAYS[d.date]?.orders ?? 0, `orders on ${d.date}`);
        near(d.emailRevenue, ATTRIBUTED[d.date] ?? 0, `emailRevenue on ${d.date}`);
        near(d.klaviyoOrderRevenue, PLACED_ORDER[d.date] ?? 0, `klaviyoOrderRevenue on ${d.date}`);
      }
    }),
  );

  test('deals, contacts and pipelineSummary match HubSpot', { timeout: 20_000 }, () =>
    withAllLogs(async () => {
      const DEALS_Q = `query ($after: String, $stage: String) { deals(first: 4, after: $after, stage: $stage) {
        nodes { id hubspotId name amount stage pipeline updatedAt } pageInfo { hasNextPage endCursor } totalCount } }`;
      const p1 = (await owner.client.data(DEALS_Q, {})).deals;
      assert.equal(p1.nodes.length, 4);
      assert.equal(p1.pageInfo.hasNextPage, true);
      const p2 = (await owner.client.data(DEALS_Q, { after: p1.pageInfo.endCursor })).deals;
      assert.equal(p2.pageInfo.hasNextPage, false);
      const all = [...p1.nodes, ...p2.nodes];
      // Most recently updated first, every deal once.
      assert.deepEqual(
        all.map((d) => d.hubspotId),
        DEALS.map((d) => d.id),
      );
      assert.equal(p1.totalCount, DEALS.length);
      assert.equal(new Set(all.map((d) => d.id)).size, DEALS.length, 'deal ids are not unique');
      for (const d of all) {
        const src = DEALS.find((x) => x.id === d.hubspotId);
        assert.equal(d.name, src.name);
        assert.equal(d.stage, src.stage);
        assert.equal(d.pipeline, 'default');
        assert.equal(d.amount, src.amount, `amount of ${d.name}`);
      }

      const open = (await owner.client.data(DEALS_Q, { stage: 'appointmentscheduled' })).deals;
      assert.deepEqual(open.nodes.map((d) => d.name), ['Acme renewal', 'Gamma new']);
      assert.equal(open.pageInfo.hasNextPage, false);

      const ps = (await owner.client.data('{ pipelineSummary { stages { stage count amount } openAmount } }')).pipelineSummary;
      const stages = Object.fromEntries(ps.stages.map((s) => [s.stage, [s.count, s.amount]]));
      assert.deepEqual(stages, {
        appointmentscheduled: [2, 6000],
        qualifiedtobuy: [1, 2500.5],
        presentationscheduled: [1, 0],
        closedwon: [1, 8000],
        closedlost: [1, 300],
      });
      near(ps.openAmount, 5000 + 2500.5 + 1000, 'openAmount');

      const contacts = (await owner.client.data('{ contacts(first: 10) { nodes { hubspotId email firstName lastName } pageInfo { hasNextPage } } }')).contacts;
      assert.equal(contacts.pageInfo.hasNextPage, false);
      assert.deepEqual(
        contacts.nodes.map((c) => [c.hubspotId, c.email, c.firstName, c.lastName]),
        [
          ['203', '', 'Cy', ''],
          ['202', 'bo@e2e.example.com', 'Bo', 'Ng'],
          ['201', 'ann@e2e.example.com', 'Ann', 'Lee'],
        ],
      );
    }),
  );

  test('emailCampaigns and emailFlows match Klaviyo', { timeout: 20_000 }, () =>
    withAllLogs(async () => {
      const c = (await owner.client.data('{ emailCampaigns(first: 10) { nodes { klaviyoId name status sendTime } pageInfo { hasNextPage } } }')).emailCampaigns;
      assert.equal(c.pageInfo.hasNextPage, false);
      const got = Object.fromEntries(c.nodes.map((n) => [n.klaviyoId, [n.name, n.status, n.sendTime === null ? null : Date.parse(n.sendTime)]]));
      assert.deepEqual(got, {
        C1: ['Black Friday', 'Sent', Date.parse(CAMPAIGNS[0].sendTime)],
        C2: ['Welcome back', 'Sent', Date.parse(CAMPAIGNS[1].sendTime)],
        C3: ['Holiday draft', 'Draft', null],
      });
      const sent = c.nodes.filter((n) => n.sendTime).map((n) => n.klaviyoId);
      assert.deepEqual(sent, ['C1', 'C2'], 'sent campaigns are not most recent first');

      const f = (await owner.client.data('{ emailFlows { nodes { klaviyoId name status triggerType } totalCount } }')).emailFlows;
      assert.deepEqual(f, { nodes: [{ klaviyoId: 'F1', name: 'Welcome series', status: 'live', triggerType: 'Added to List' }], totalCount: 1 });
    }),
  );

  test('node(id) returns what the typed fields return; bad paging arguments are BAD_USER_INPUT on their field', { timeout: 20_000 }, () =>
    withAllLogs(async () => {
      const q = `{ deals(first: 2) { edges { cursor node { id hubspotId name } } } contacts(first: 1) { nodes { id hubspotId email } }
        emailCampaigns(first: 1) { nodes { id klaviyoId name } } emailFlows(first: 1) { nodes { id klaviyoId name } }
        integrations { id platform status syncs(first: 1) { nodes { id syncStatus: status } } } }`;
      const d = await owner.client.data(q);
      const NODE = `query ($id: ID!) { node(id: $id) { id
        ... on Deal { hubspotId name } ... on Contact { hubspotId email } ... on EmailCampaign { klaviyoId name }
        ... on EmailFlow { klaviyoId name } ... on Integration { platform status } ... on IntegrationSync { syncStatus: status } } }`;
      const hubspot = d.integrations.find((i) => i.platform === 'HUBSPOT');
      const objects = [
        ...d.deals.edges.map((e) => e.node),
        d.contacts.nodes[0],
        d.emailCampaigns.nodes[0],
        d.emailFlows.nodes[0],
        { id: hubspot.id, platform: hubspot.platform, status: hubspot.status },
        hubspot.syncs.nodes[0],
      ];
      for (const want of objects) {
        const got = (await owner.client.data(NODE, { id: want.id })).node;
        assert.deepEqual(got, want);
      }
      for (const [query, vars, field] of [
        ['query ($f: Int) { deals(first: $f) { nodes { id } } }', { f: 101 }, 'first'],
        ['query ($f: Int) { emailFlows(first: $f) { nodes { id } } }', { f: 0 }, 'first'],
        ['query ($a: String) { contacts(after: $a) { nodes { id } } }', { a: 'not a cursor' }, 'after'],
        ['query ($f: Int) { integrations { syncs(first: $f) { nodes { id } } } }', { f: 51 }, 'first'],
      ]) {
        const { error } = await owner.client.fails('BAD_USER_INPUT', query, vars);
        assert.equal(error.extensions.field, field, query);
      }
      const other = await withLogs(server, () => signUp(server, { tag: 'integrations-other', organizationName: 'Other Org' }));
      const r = await other.client.fails('NOT_FOUND', NODE, { id: d.deals.edges[0].node.id });
      assert.equal(r.response.body.data?.node ?? null, null);
    }),
  );

  test('a Triple Whale key revoked mid-life: the run fails and the integration asks to reconnect', { timeout: 90_000 }, (t) =>
    withAllLogs(async () => {
      await account.revoke('triplewhale');
      const i = await syncAndWait('TRIPLE_WHALE');
      t.diagnostic(`lastError: ${i.lastError}; run error: ${i.syncs.nodes[0].error}`);
      assert.equal(i.syncs.nodes[0].status, 'FAILED', JSON.stringify(i));
      assert.ok(i.syncs.nodes[0].error, `the failed run has no error: ${JSON.stringify(i)}`);
      assert.equal(i.status, 'ERROR', JSON.stringify(i));
      assert.match(i.lastError ?? '', /reconnect/i);
      assert.ok(!(i.lastError ?? '').includes(TW_KEY), 'lastError shows the key');
      // What was synced before stays readable.
      const s = (await owner.client.data(`{ marketingSummary(from: "${day(-7)}", to: "${day(-1)}") { revenue } }`)).marketingSummary;
      near(s.revenue, 1500.5, 'revenue after the failed sync');
    }),
  );

  test('HubSpot deals answering 500 forever: the run fails with a reason and the server keeps serving', { timeout: 90_000 }, (t) =>
    withAllLogs(async () => {
      await account.injectFault({ platform: 'hubspot', path: '/crm/v3/objects/deals', status: 500 });
      const dealRequests = () => account.count('GET /crm/v3/objects/deals');
      const before = await dealRequests();
      const i = await syncAndWait('HUBSPOT');
      t.diagnostic(`status: ${i.status}; lastError: ${i.lastError}; run error: ${i.syncs.nodes[0].error}`);
      assert.equal(i.syncs.nodes[0].status, 'FAILED', JSON.stringify(i));
      assert.ok((i.syncs.nodes[0].error ?? '').length > 0, `the failed run has no error: ${JSON.stringify(i)}`);
      const retried = (await dealRequests()) - before;
      assert.ok(retried >= 2, `a 500 was not retried (${retried} deal requests)`);

      const health = await fetchWithin(5_000, `${server.base}/healthz`);
      assert.equal(health.status, 200);
      await health.arrayBuffer();
      const d = (await owner.client.data('{ deals(first: 100) { nodes { id } } }')).deals;
      assert.equal(d.nodes.length, DEALS.length, 'deals synced before are gone');
      const others = await integration('KLAVIYO');
      assert.equal(others.status, 'CONNECTED');
    }),
  );
});
