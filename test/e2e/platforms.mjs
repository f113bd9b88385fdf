// Fake Triple Whale, HubSpot and Klaviyo APIs for the integration tests,
// written from the platforms' public API documentation (not from omnify's
// Go clients or their tests). Each is a node:http server on 127.0.0.1 with a
// free port, holding fixed data and a few switches to inject failures. Every
// request is recorded, so a failing test can show what omnify asked.

import http from 'node:http';

/** YYYY-MM-DD of today (UTC) plus `days`. */
export function day(days) {
  const d = new Date();
  d.setUTCHours(0, 0, 0, 0);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function addDays(ymd, n) {
  const d = new Date(`${ymd}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

function send(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * Starts handler(req, res, ctx) on a free port; ctx has url (a URL), body
 * (the parsed JSON body or null) and base (the server's origin). Resolves
 * with { base, requests, close, log }.
 */
async function serve(name, handler) {
  const requests = [];
  let base;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body = null;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        body = raw;
      }
      const url = new URL(req.url, base);
      const rec = { method: req.method, path: url.pathname + url.search, body, status: 0 };
      requests.push(rec);
      const origWriteHead = res.writeHead.bind(res);
      res.writeHead = (status, ...rest) => {
        rec.status = status;
        return origWriteHead(status, ...rest);
      };
      try {
        handler(req, res, { url, body, base });
      } catch (e) {
        send(res, 500, { fakeError: String(e?.stack ?? e) });
      }
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  base = `http://127.0.0.1:${server.address().port}`;
  return {
    base,
    requests,
    /** The last requests, one line each, for failure messages. */
    log(max = 40) {
      return `--- ${name} requests (last ${max} of ${requests.length}) ---\n${requests
        .slice(-max)
        .map((r) => `${r.method} ${r.path} -> ${r.status}${r.body && typeof r.body === 'object' ? ` ${JSON.stringify(r.body).slice(0, 300)}` : ''}`)
        .join('\n')}`;
    },
    close() {
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------- Triple Whale

/**
 * Triple Whale (https://triplewhale.readme.io): `x-api-key` header;
 * GET /users/api-keys/me checks a key; POST /summary-page/get-data returns
 * the summary metrics of a shop over a period.
 *
 * days: { 'YYYY-MM-DD': { sales, ads, orders } }. Other days are zero.
 * Switches: state.unauthorized (every request answers 401).
 */
export async function fakeTripleWhale({ apiKey, shopDomain, days }) {
  const state = { unauthorized: false, summaryRequests: 0, badSummaryRequests: [] };
  const fake = await serve('Triple Whale', (req, res, { url, body }) => {
    const path = url.pathname.replace(/^\/api\/v2/, '');
    if (state.unauthorized || req.headers['x-api-key'] !== apiKey) {
      return send(res, 401, { success: false, message: 'Unauthorized: invalid API key' });
    }
    if (req.method === 'GET' && path === '/users/api-keys/me') {
      return send(res, 200, { id: 'key-1', name: 'omnify', scopes: ['summary-page:read'], shopDomain });
    }
    if (req.method === 'POST' && path === '/summary-page/get-data') {
      state.summaryRequests += 1;
      const start = body?.period?.start;
      const end = body?.period?.end;
      if (body?.shopDomain !== shopDomain || !/^\d{4}-\d{2}-\d{2}$/.test(start ?? '') || !/^\d{4}-\d{2}-\d{2}$/.test(end ?? '') || end < start) {
        state.badSummaryRequests.push(body);
        return send(res, 400, { success: false, message: 'shopDomain and period {start, end} are required' });
      }
      let sales = 0;
      let ads = 0;
      let orders = 0;
      for (let d = start; d <= end; d = addDays(d, 1)) {
        const v = days[d];
        if (v) {
          sales += v.sales;
          ads += v.ads;
          orders += v.orders;
        }
      }
      // Values come as numbers or as strings, as the real API sends them.
      return send(res, 200, {
        metrics: [
          { id: 'sales', title: 'Order Revenue', values: { current: sales, previous: 0 }, type: 'currency' },
          { id: 'blendedAds', title: 'Blended Ad Spend', values: { current: String(ads), previous: '0' }, type: 'currency' },
          { id: 'roas', title: 'Blended ROAS', values: { current: ads ? String(sales / ads) : '0', previous: 0 }, type: 'decimal' },
          { id: 'orders', title: 'Orders', values: { current: String(orders), previous: 0 }, type: 'number' },
          { id: 'shopifyAov', title: 'AOV', values: { current: orders ? sales / orders : 0, previous: 0 }, type: 'currency' },
          { id: 'totalNetProfit', title: 'Net Profit', values: { current: String(sales - ads), previous: '0' }, type: 'currency' },
        ],
      });
    }
    return send(res, 404, { success: false, message: `no route ${req.method} ${url.pathname}` });
  });
  return Object.assign(fake, { state });
}

// --------------------------------------------------------------------- HubSpot

/**
 * HubSpot CRM v3 (https://developers.hubspot.com/docs/api/crm): bearer
 * private app token; GET /crm/v3/objects/{deals,contacts} with limit, after
 * and properties; pages end when `paging` is absent.
 *
 * Switches: state.dealsFail (deals answer 500 forever); pageSize caps `limit`
 * so that pagination is exercised.
 */
export async function fakeHubSpot({ token, deals, contacts, pageSize = 2 }) {
  const state = { dealsFail: false, dealRequests: 0 };
  const error = (res, status, message, category) =>
    send(res, status, { status: 'error', message, correlationId: '5d3c2a1b-0000-4000-8000-00000000e2e0', category });
  const list = (res, url, objects) => {
    const limit = Math.max(1, Math.min(Number(url.searchParams.get('limit') ?? 10) || 10, pageSize));
    const start = Number(url.searchParams.get('after') ?? 0) || 0;
    const page = objects.slice(start, start + limit);
    const body = { results: page };
    if (start + limit < objects.length) {
      const next = String(start + limit);
      body.paging = { next: { after: next, link: `${url.origin}${url.pathname}?after=${next}` } };
    }
    return send(res, 200, body);
  };
  const fake = await serve('HubSpot', (req, res, { url }) => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      return error(res, 401, 'Authentication credentials not found. This API supports OAuth 2.0 authentication.', 'INVALID_AUTHENTICATION');
    }
    if (url.pathname.startsWith('/crm/v3/objects/deals')) {
      state.dealRequests += 1;
      if (state.dealsFail) return error(res, 500, 'internal error', 'INTERNAL_ERROR');
      if (req.method === 'GET' && url.pathname === '/crm/v3/objects/deals') return list(res, url, deals);
    }
    if (req.method === 'GET' && url.pathname === '/crm/v3/objects/contacts') return list(res, url, contacts);
    return error(res, 404, `no route ${req.method} ${url.pathname}`, 'OBJECT_NOT_FOUND');
  });
  return Object.assign(fake, { state });
}

/** A HubSpot CRM object as the list endpoints return it. */
export function hubspotObject(id, properties, updatedAt) {
  const createdAt = properties.createdate ?? updatedAt;
  return { id, properties: { hs_object_id: id, ...properties }, createdAt, updatedAt, archived: false };
}

// --------------------------------------------------------------------- Klaviyo

/**
 * Klaviyo (https://developers.klaviyo.com/en/reference/api_overview):
 * `Authorization: Klaviyo-API-Key <key>` and a `revision` header on every
 * request; JSON:API documents with links.next for the next page.
 *
 * placedOrder: { 'YYYY-MM-DD': value } for the "Placed Order" metric.
 * Switches: state.throttleCampaignsOnce (the next campaigns request gets 429
 * with Retry-After: 1).
 */
export async function fakeKlaviyo({ apiKey, organizationName, campaigns, flows, placedOrder, pageSize = 2 }) {
  const state = { throttleCampaignsOnce: false, throttled: 0, aggregates: [] };
  const errors = (res, status, code, title, detail, headers) =>
    send(res, status, { errors: [{ id: 'e2e', status, code, title, detail, source: { pointer: '/data/' } }] }, headers);
  const metrics = [
    { type: 'metric', id: 'MetOpen', attributes: { name: 'Opened Email', created: '2023-01-01T00:00:00+00:00', updated: '2023-01-01T00:00:00+00:00', integration: { name: 'Klaviyo' } } },
    { type: 'metric', id: 'MetClick', attributes: { name: 'Clicked Email', created: '2023-01-01T00:00:00+00:00', updated: '2023-01-01T00:00:00+00:00', integration: { name: 'Klaviyo' } } },
    { type: 'metric', id: 'MetOrder', attributes: { name: 'Placed Order', created: '2023-01-01T00:00:00+00:00', updated: '2023-01-01T00:00:00+00:00', integration: { name: 'Shopify' } } },
  ];
  const page = (res, url, items) => {
    const start = Number(url.searchParams.get('page[cursor]') ?? 0) || 0;
    let next = null;
    if (start + pageSize < items.length) {
      const u = new URL(url);
      u.searchParams.set('page[cursor]', String(start + pageSize));
      next = u.toString();
    }
    return send(res, 200, { data: items.slice(start, start + pageSize), links: { self: url.toString(), next, prev: null } });
  };
  const fake = await serve('Klaviyo', (req, res, { url, body }) => {
    if (req.headers.authorization !== `Klaviyo-API-Key ${apiKey}`) {
      return errors(res, 401, 'not_authenticated', 'Authentication credentials were not provided.', 'Missing or invalid private key.');
    }
    if (!req.headers.revision) {
      return errors(res, 400, 'invalid', 'Invalid input.', 'Missing revision header.');
    }
    const p = url.pathname;
    if (req.method === 'GET' && p === '/api/accounts') {
      return send(res, 200, {
        data: [
          {
            type: 'account',
            id: 'AbC123',
            attributes: {
              contact_information: { default_sender_name: organizationName, default_sender_email: 'shop@e2e.example.com', website_url: 'https://e2e.example.com', organization_name: organizationName },
              industry: 'Retail',
              timezone: 'UTC',
              preferred_currency: 'USD',
              public_api_key: 'AbC123',
              locale: 'en-US',
            },
          },
        ],
        links: { self: url.toString() },
      });
    }
    if (req.method === 'GET' && p === '/api/campaigns') {
      if (url.searchParams.get('filter') !== "equals(messages.channel,'email')") {
        return errors(res, 400, 'invalid', 'Invalid filter provided.', 'A channel filter is required: equals(messages.channel,...)');
      }
      if (state.throttleCampaignsOnce) {
        state.throttleCampaignsOnce = false;
        state.throttled += 1;
        return errors(res, 429, 'throttled', 'Request was throttled.', 'Request was throttled. Expected available in 1 second.', { 'retry-after': '1' });
      }
      return page(res, url, campaigns);
    }
    if (req.method === 'GET' && p === '/api/flows') return page(res, url, flows);
    if (req.method === 'GET' && p === '/api/metrics') return page(res, url, metrics);
    if (req.method === 'POST' && p === '/api/metric-aggregates') {
      state.aggregates.push(body);
      const a = body?.data?.attributes ?? {};
      const ge = /greater-or-equal\(datetime,([^)]+)\)/.exec((a.filter ?? []).join(','));
      const lt = /less-than\(datetime,([^)]+)\)/.exec((a.filter ?? []).join(','));
      if (body?.data?.type !== 'metric-aggregate' || !a.metric_id || !ge || !lt || a.interval !== 'day') {
        return errors(res, 400, 'invalid', 'Invalid input.', 'metric_id, interval and a datetime filter are required');
      }
      const from = new Date(ge[1]);
      const to = new Date(lt[1]);
      if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return errors(res, 400, 'invalid', 'Invalid input.', 'bad datetime');
      const dates = [];
      const count = [];
      const sum = [];
      for (let d = from.toISOString().slice(0, 10); new Date(`${d}T00:00:00Z`) < to; d = addDays(d, 1)) {
        dates.push(`${d}T00:00:00+00:00`);
        const v = a.metric_id === 'MetOrder' ? placedOrder[d] ?? 0 : 0;
        count.push(v ? 2 : 0);
        sum.push(v);
        if (dates.length > 400) break;
      }
      return send(res, 200, {
        data: {
          type: 'metric-aggregate',
          id: 'agg',
          attributes: { dates, data: [{ dimensions: [], measurements: { count, sum_value: sum } }] },
        },
        links: { self: url.toString() },
      });
    }
    return errors(res, 404, 'not_found', 'Not found.', `no route ${req.method} ${p}`);
  });
  return Object.assign(fake, { state });
}
