// GraphQL over HTTP conformance: graphql-http's server audit against /graphql.
// A failed MUST fails the test; SHOULD and MAY findings are printed only.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { auditServer } from 'graphql-http';
import { startServer, withLogs, within } from './server.mjs';

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  if (server) assert.equal(await server.stop(), 0, `server did not exit cleanly\n${server.logs()}`);
});

function table(rows) {
  const headers = ['id', 'status', 'http', 'audit', 'reason'];
  const cells = rows.map((r) => [r.id, r.status, String(r.response?.status ?? ''), r.name, r.reason ?? '']);
  const widths = headers.map((h, i) => Math.min(120, Math.max(h.length, ...cells.map((c) => c[i].length))));
  const line = (c) => c.map((v, i) => v.slice(0, widths[i]).padEnd(widths[i])).join(' | ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('-+-'), ...cells.map(line)].join('\n');
}

test('graphql-http auditServer: every MUST passes', { timeout: 60_000 }, () =>
  withLogs(server, async () => {
    const results = await within(45_000, auditServer({ url: server.url }), 'auditServer');
    assert.ok(results.length > 0, 'auditServer returned no results');

    const notOk = results.filter((r) => r.status !== 'ok');
    const ok = results.length - notOk.length;
    console.log(`graphql-http audit of ${server.url}: ${ok}/${results.length} ok`);
    if (notOk.length) console.log(`\n${table(notOk)}\n`);

    const failedMusts = results.filter((r) => r.status === 'error' || (r.status !== 'ok' && r.name.startsWith('MUST')));
    assert.deepEqual(
      failedMusts.map((r) => `${r.id} ${r.name}: ${r.reason}`),
      [],
      `GraphQL over HTTP requirements failed:\n${table(failedMusts)}`,
    );
  }),
);
