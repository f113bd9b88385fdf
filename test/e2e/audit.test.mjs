// GraphQL over HTTP conformance: graphql-http's server audit against /graphql.
// Every audit must pass, MUSTs, SHOULDs and MAYs alike: a warning or a notice
// fails the test as an error does.

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

test('graphql-http auditServer: every audit passes', { timeout: 60_000 }, () =>
  withLogs(server, async () => {
    const results = await within(45_000, auditServer({ url: server.url }), 'auditServer');
    // graphql-http 1.23 runs 61 audits; fewer would mean audits went missing.
    assert.ok(results.length >= 60, `auditServer returned only ${results.length} results`);

    const notOk = results.filter((r) => r.status !== 'ok');
    console.log(`graphql-http audit of ${server.url}: ${results.length - notOk.length}/${results.length} ok`);
    assert.deepEqual(
      notOk.map((r) => `${r.id} ${r.status} ${r.name}: ${r.reason}`),
      [],
      `GraphQL over HTTP audits not ok:\n${table(notOk)}`,
    );
  }),
);
