// Health, readiness, metrics, the HTTP edges of /graphql, and graceful
// shutdown of the omnify process.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { delay, fetchWithin, startServer, withLogs, within } from './server.mjs';
import { openRaw } from './wsutil.mjs';

const T = 5_000; // per-request deadline

async function json(res) {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    assert.fail(`expected a JSON body (HTTP ${res.status}, ${res.headers.get('content-type')}), got: ${text.slice(0, 500)}`);
  }
}

function assertErrorBody(body) {
  assert.ok(Array.isArray(body?.errors) && body.errors.length > 0, `expected {"errors": [...]}, got ${JSON.stringify(body)}`);
  for (const e of body.errors) assert.equal(typeof e.message, 'string');
}

const postJSON = (url, body, headers = {}) =>
  fetchWithin(T, url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('HTTP endpoints', () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    if (server) assert.equal(await server.stop(), 0, `server did not exit cleanly\n${server.logs()}`);
  });

  test('/healthz answers 200', { timeout: 10_000 }, () =>
    withLogs(server, async () => {
      const res = await fetchWithin(T, `${server.base}/healthz`);
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }),
  );

  test('/readyz answers 200 with the database check', { timeout: 10_000 }, () =>
    withLogs(server, async () => {
      const res = await fetchWithin(T, `${server.base}/readyz`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(await json(res), { status: 'ok', checks: { database: 'ok' } });
    }),
  );

  test('/metrics counts a GraphQL query in omnify_graphql_requests_total', { timeout: 10_000 }, () =>
    withLogs(server, async () => {
      // One query names its operation in operationName, one only in the document.
      const q = await postJSON(server.url, { query: 'query E2eMetricsProbe { __typename }', operationName: 'E2eMetricsProbe' });
      assert.equal(q.status, 200);
      assert.deepEqual(await json(q), { data: { __typename: 'Query' } });
      const g = await fetchWithin(T, `${server.url}?query=${encodeURIComponent('query E2eMetricsDocName { __typename }')}`);
      assert.equal(g.status, 200);
      assert.deepEqual(await json(g), { data: { __typename: 'Query' } });

      const res = await fetchWithin(T, `${server.base}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      const text = await res.text();
      assert.match(text, /^# TYPE omnify_graphql_requests_total counter$/m);
      const series = text
        .split('\n')
        .filter((l) => l.startsWith('omnify_graphql_requests_total{'))
        .map((l) => {
          const m = /^omnify_graphql_requests_total\{(.*)\}\s+(\S+)$/.exec(l);
          const labels = Object.fromEntries([...m[1].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
          return { labels, value: Number(m[2]) };
        });
      const probe = series.find((s) => s.labels.operation_name === 'E2eMetricsProbe' && s.labels.operation_type === 'query');
      assert.ok(probe, `no omnify_graphql_requests_total series for E2eMetricsProbe in:\n${series.map((s) => JSON.stringify(s)).join('\n')}`);
      assert.ok(probe.value >= 1);
      const docName = series.find((s) => s.labels.operation_name === 'E2eMetricsDocName' && s.labels.operation_type === 'query');
      assert.ok(docName, `a query named only in its document is not counted under its name:\n${series.map((s) => JSON.stringify(s)).join('\n')}`);
      // Besides the Go runtime and process collectors, every series is omnify_.
      for (const line of text.split('\n')) {
        if (line && !line.startsWith('#') && !line.startsWith('omnify_')) {
          assert.match(line, /^(go|process|promhttp)_/, `unexpected unprefixed series: ${line}`);
        }
      }
    }),
  );

  test('GET ?query={__typename} runs the query', { timeout: 10_000 }, () =>
    withLogs(server, async () => {
      const res = await fetchWithin(T, `${server.url}?query=${encodeURIComponent('{__typename}')}`, {
        headers: { accept: 'application/json' },
      });
      assert.equal(res.status, 200);
      assert.deepEqual(await json(res), { data: { __typename: 'Query' } });
    }),
  );

  test('GET with a mutation is refused with 405 and Allow: POST', { timeout: 10_000 }, async (t) =>
    withLogs(server, async () => {
      for (const accept of ['application/json', 'application/graphql-response+json']) {
        const res = await fetchWithin(T, `${server.url}?query=${encodeURIComponent('mutation { logOut { loggedOut } }')}`, { headers: { accept } });
        t.diagnostic(`GET mutation { logOut { loggedOut } } with Accept ${accept} → ${res.status}`);
        assert.equal(res.status, 405);
        assert.equal(res.headers.get('allow'), 'POST');
        assertErrorBody(await json(res));
      }
    }),
  );

  test('POST body over 1 MiB gets 413 (with and without Content-Length)', { timeout: 20_000 }, () =>
    withLogs(server, async () => {
      const limit = 1 << 20;
      const body = JSON.stringify({ query: `{ __typename } # ${'x'.repeat(limit)}` });
      assert.ok(body.length > limit);

      const res = await postJSON(server.url, body);
      assert.equal(res.status, 413);
      assertErrorBody(await json(res));

      // Chunked: the server cannot trust a Content-Length, it must count.
      const chunked = await new Promise((resolve, reject) => {
        const u = new URL(server.url);
        const req = http.request(
          { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent: false, headers: { 'content-type': 'application/json' }, timeout: T },
          (r) => {
            let text = '';
            r.setEncoding('utf8');
            r.on('data', (c) => (text += c));
            r.on('end', () => resolve({ status: r.statusCode, headers: r.headers, text }));
          },
        );
        req.on('timeout', () => req.destroy(new Error('chunked request timed out')));
        req.on('error', reject);
        // Write in pieces; the server may answer (and close) before the end.
        for (let i = 0; i < body.length; i += 64 * 1024) req.write(body.slice(i, i + 64 * 1024));
        req.end();
      });
      assert.equal(chunked.status, 413);
      assertErrorBody(JSON.parse(chunked.text));
    }),
  );

  test('POST body just under the limit is not refused for its size', { timeout: 20_000 }, () =>
    withLogs(server, async () => {
      const limit = 1 << 20;
      const prefix = '{"query":"{ __typename }","extensions":{"pad":"';
      const suffix = '"}}';
      const body = prefix + 'x'.repeat(limit - prefix.length - suffix.length) + suffix;
      assert.equal(body.length, limit);
      const res = await postJSON(server.url, body);
      assert.equal(res.status, 200);
      assert.deepEqual(await json(res), { data: { __typename: 'Query' } });
    }),
  );

  test('malformed JSON gets a 4xx with a JSON error body', { timeout: 10_000 }, () =>
    withLogs(server, async () => {
      const res = await postJSON(server.url, '{"query": "{ __typename }"');
      assert.ok(res.status >= 400 && res.status < 500, `expected 4xx, got ${res.status}`);
      assert.match(res.headers.get('content-type') ?? '', /json/);
      assertErrorBody(await json(res));
      // The error does not echo the request back (a 100 KB body gets a small answer).
      const big = await postJSON(server.url, `{"query": "${'x'.repeat(100_000)}`);
      const text = await big.text();
      assert.ok(text.length < 1000, `malformed body echoed: ${text.length} bytes`);
    }),
  );

  test('a request without query gets a 4xx', { timeout: 10_000 }, () =>
    withLogs(server, async () => {
      const post = await postJSON(server.url, { variables: {} });
      assert.ok(post.status >= 400 && post.status < 500, `POST without query: expected 4xx, got ${post.status}`);
      assertErrorBody(await json(post));

      const get = await fetchWithin(T, server.url, { headers: { accept: 'application/json' } });
      assert.ok(get.status >= 400 && get.status < 500, `GET without query: expected 4xx, got ${get.status}`);
      assertErrorBody(await json(get));
    }),
  );
});

describe('shutdown', () => {
  let server;
  let sock;
  let inflight;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    sock?.terminate();
    inflight?.req.destroy();
    if (server) await server.stop('SIGKILL').catch(() => {});
  });

  /** A POST whose body is sent in two parts, so it can be in flight on purpose. */
  function slowPost(url, first, rest) {
    const u = new URL(url);
    const req = http.request({
      host: u.hostname,
      port: u.port,
      path: u.pathname,
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
    });
    const response = new Promise((resolve, reject) => {
      req.on('response', (r) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (c) => (text += c));
        r.on('end', () => resolve({ status: r.statusCode, text }));
        r.on('error', reject);
      });
      req.on('error', reject);
    });
    response.catch(() => {});
    req.write(first);
    return { req, response, finish: () => req.end(rest) };
  }

  test('SIGTERM: WebSockets close with 1001, an in-flight request finishes, exit 0', { timeout: 30_000 }, () =>
    withLogs(server, async () => {
      sock = await openRaw(server.wsUrl, 'graphql-transport-ws');
      sock.send({ type: 'connection_init' });
      await sock.nextOfType('connection_ack');

      // Headers and half of the body are sent: the request is in flight.
      const body = JSON.stringify({ query: '{ serverInfo { version } }', extensions: { pad: 'x'.repeat(4096) } });
      inflight = slowPost(server.url, body.slice(0, 2048), body.slice(2048));
      await delay(300);

      const exitCode = server.stop('SIGTERM', 20_000);
      const { code, reason } = await sock.closedWithin(10_000, 'the server to close the socket on SIGTERM');
      assert.equal(code, 1001, `expected close 1001 (going away), got ${code} ${reason}`);

      // Shutdown has begun; the request's body is only now completed.
      assert.equal(server.proc.exitCode, null, 'the process exited with a request still in flight');
      inflight.finish();
      const res = await within(10_000, inflight.response, 'the in-flight request to be answered');
      assert.equal(res.status, 200, `in-flight request: ${res.status} ${res.text}`);
      assert.equal(typeof JSON.parse(res.text).data?.serverInfo?.version, 'string', res.text);

      assert.equal(await within(20_000, exitCode, 'the process to exit'), 0);
      assert.match(server.stderr(), /shutting down/);

      // Nothing listens any more.
      await assert.rejects(fetchWithin(2_000, `${server.base}/healthz`));
    }),
  );
});
