// Legal documents as a user and an operator meet them: the acceptance gate,
// accepting, an operator publishing a new version with the CLI while the
// server runs, the user gated again until they accept it, the owner's audit
// list, and the data surviving a restart on the same data directory.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeDataDir, removeDataDir, runOmnify, startServer, withLogs, within } from './server.mjs';
import { Client, legalDocuments, signUp } from './gql.mjs';

const GATED = `mutation { createApiKey(input: { name: "gated", scope: READ }) { apiKey { id } } }`;
const ACCEPT = `mutation ($ids: [ID!]!) {
  acceptLegalDocuments(input: { documentIds: $ids }) {
    acceptances { document { kind version } user { email } }
    legal { upToDate pending { id kind version } }
  }
}`;
const LEGAL = `{ me { legal { upToDate pending { id kind version } acceptances { nodes { document { kind version } } totalCount } } } }`;
const LOGIN = `mutation ($input: LogInInput!) { logIn(input: $input) { viewer { user { email } } } }`;

describe('legal documents', () => {
  let dataDir;
  let docsDir;
  let server;
  let user; // { client, email, password }

  before(async () => {
    dataDir = await makeDataDir();
    docsDir = await mkdtemp(path.join(tmpdir(), 'omnify-e2e-docs-'));
    server = await startServer({}, { dataDir });
  });

  after(async () => {
    try {
      if (server) await server.stop().catch(() => {});
    } finally {
      if (docsDir) await rm(docsDir, { recursive: true, force: true });
      if (dataDir) await removeDataDir(dataDir);
    }
  });

  test('a user who has not accepted is gated until they accept', { timeout: 20_000 }, () =>
    withLogs(server, async () => {
      const anon = new Client(server);
      const docs = await legalDocuments(anon);
      assert.deepEqual(
        docs.map((d) => [d.kind, d.version, d.required]).sort(),
        [
          ['DATA_PROCESSING_AGREEMENT', 1, true],
          ['PRIVACY_POLICY', 1, true],
          ['TERMS_OF_SERVICE', 1, true],
        ],
      );

      user = await signUp(server, { tag: 'legal', acceptAll: false, organizationName: 'Legal Org' });
      const before = (await user.client.data(LEGAL)).me.legal;
      assert.equal(before.upToDate, false);
      assert.deepEqual(before.pending.map((d) => d.id).sort(), docs.map((d) => d.id).sort());

      const { error } = await user.client.fails('LEGAL_ACCEPTANCE_REQUIRED', GATED);
      const pending = error.extensions.pending;
      assert.ok(Array.isArray(pending) && pending.length === 3, `extensions.pending: ${JSON.stringify(pending)}`);
      assert.deepEqual(pending.map((d) => d.id).sort(), docs.map((d) => d.id).sort());
      // Other gated reads fail the same way.
      await user.client.fails('LEGAL_ACCEPTANCE_REQUIRED', '{ integrations { platform } }');

      const accepted = (await user.client.data(ACCEPT, { ids: docs.map((d) => d.id) })).acceptLegalDocuments;
      assert.equal(accepted.legal.upToDate, true);
      assert.deepEqual(accepted.legal.pending, []);
      assert.equal(accepted.acceptances.length, 3);
      for (const a of accepted.acceptances) assert.equal(a.user.email, user.email);

      const d = await user.client.data(GATED);
      assert.ok(d.createApiKey.apiKey.id);
    }),
  );

  test('a new terms version published with the CLI while serving gates the user again', { timeout: 60_000 }, () =>
    withLogs(server, async () => {
      assert.ok(user, 'needs the previous test');
      const file = path.join(docsDir, 'terms-v2.md');
      await writeFile(file, '# Omnify Terms of Service\n\nVersion 2 of the terms, published by the end-to-end tests.\n');
      const res = await runOmnify(
        ['legal', 'publish', '--kind', 'TERMS_OF_SERVICE', '--title', 'Omnify Terms of Service (v2)', '--file', file],
        { env: { OMNIFY_DATA_DIR: dataDir }, timeoutMs: 45_000 },
      );
      const out = `exit ${res.code} (${res.signal})\n--- publish stdout ---\n${res.stdout}\n--- publish stderr ---\n${res.stderr}`;
      assert.equal(res.code, 0, out);
      assert.match(res.stdout, /Published TERMS_OF_SERVICE version 2\b/, out);

      const docs = await legalDocuments(new Client(server));
      const terms = docs.find((d) => d.kind === 'TERMS_OF_SERVICE');
      assert.equal(terms.version, 2, JSON.stringify(docs));
      assert.equal(docs.find((d) => d.kind === 'PRIVACY_POLICY').version, 1);
      const v2 = await user.client.data(`{ legalDocument(kind: TERMS_OF_SERVICE, version: 2) { id title body } }`);
      assert.equal(v2.legalDocument.id, terms.id);
      assert.equal(v2.legalDocument.title, 'Omnify Terms of Service (v2)');
      assert.match(v2.legalDocument.body, /Version 2 of the terms/);

      // The same session is gated again, on the new terms only.
      const { error } = await user.client.fails('LEGAL_ACCEPTANCE_REQUIRED', GATED);
      assert.deepEqual(
        error.extensions.pending.map((d) => [d.id, d.kind, d.version]),
        [[terms.id, 'TERMS_OF_SERVICE', 2]],
      );
      const legal = (await user.client.data(LEGAL)).me.legal;
      assert.equal(legal.upToDate, false);
      assert.deepEqual(legal.pending, [{ id: terms.id, kind: 'TERMS_OF_SERVICE', version: 2 }]);

      const accepted = (await user.client.data(ACCEPT, { ids: [terms.id] })).acceptLegalDocuments;
      assert.equal(accepted.legal.upToDate, true);
      assert.deepEqual(accepted.acceptances.map((a) => [a.document.kind, a.document.version]), [['TERMS_OF_SERVICE', 2]]);
      await user.client.data(GATED);
    }),
  );

  test("the owner's audit list shows both terms acceptances, page by page", { timeout: 20_000 }, () =>
    withLogs(server, async () => {
      assert.ok(user, 'needs the previous tests');
      const nodes = [];
      let after = null;
      for (let page = 0; page < 10; page++) {
        const d = await user.client.data(
          `query ($after: String) { legalAcceptances(first: 2, after: $after) {
             edges { cursor node { id scope document { kind version } user { email } acceptedAt ip userAgent } }
             nodes { id } totalCount
             pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`,
          { after },
        );
        const c = d.legalAcceptances;
        assert.ok(c.edges.length <= 2, `first: 2 returned ${c.edges.length} edges`);
        assert.equal(c.totalCount, 4);
        assert.equal(c.pageInfo.hasPreviousPage, after !== null);
        assert.deepEqual(c.nodes.map((n) => n.id), c.edges.map((e) => e.node.id));
        if (c.edges.length) assert.equal(c.pageInfo.startCursor, c.edges[0].cursor);
        nodes.push(...c.edges.map((e) => e.node));
        if (!c.pageInfo.hasNextPage) break;
        assert.ok(c.pageInfo.endCursor, 'hasNextPage without endCursor');
        after = c.pageInfo.endCursor;
      }
      const seen = nodes.map((n) => `${n.document.kind} v${n.document.version}`);
      assert.equal(nodes.length, 4, `expected 4 acceptances (3 at first, then terms v2), got ${JSON.stringify(seen)}`);
      assert.equal(new Set(seen).size, 4, `a record appears twice across pages: ${JSON.stringify(seen)}`);
      const terms = nodes.filter((n) => n.document.kind === 'TERMS_OF_SERVICE');
      // Newest first.
      assert.deepEqual(terms.map((n) => n.document.version), [2, 1]);
      for (const n of nodes) {
        // The owner signed the DPA for the organization; the rest are personal.
        assert.equal(n.scope, n.document.kind === 'DATA_PROCESSING_AGREEMENT' ? 'ORGANIZATION' : 'PERSONAL');
        assert.equal(n.user.email, user.email);
        assert.equal(n.userAgent, 'omnify-e2e');
        assert.ok(n.ip.length > 0);
      }
      const times = nodes.map((n) => Date.parse(n.acceptedAt));
      assert.deepEqual([...times].sort((x, y) => y - x), times, 'not newest first');
    }),
  );

  test('SIGTERM exits 0; a server restarted on the same data directory has the data', { timeout: 60_000 }, async () => {
    assert.ok(user, 'needs the previous tests');
    const first = server;
    assert.equal(await withLogs(first, () => first.stop('SIGTERM', 20_000)), 0, `exit status after SIGTERM\n${first.logs()}`);

    server = await startServer({}, { dataDir });
    await withLogs(server, async () => {
      const c = new Client(server);
      const d = await c.data(LOGIN, { input: { email: user.email, password: user.password } });
      assert.equal(d.logIn.viewer.user.email, user.email);
      const legal = (await c.data(LEGAL)).me.legal;
      assert.equal(legal.upToDate, true, `after a restart the user is gated again: ${JSON.stringify(legal.pending)}`);
      const docs = await legalDocuments(c);
      assert.equal(docs.find((x) => x.kind === 'TERMS_OF_SERVICE').version, 2, 'start-up publishing replaced the operator-published terms');
      const keys = (await c.data('{ apiKeys { nodes { name } } }')).apiKeys.nodes.map((k) => k.name);
      assert.deepEqual(keys, ['gated', 'gated']);
      // The old session cookie survived the restart too (same jar, new port).
      user.client.server = server;
      assert.equal((await user.client.data('{ me { user { email } } }')).me.user.email, user.email);

      assert.equal(await within(25_000, server.stop('SIGTERM', 20_000), 'the restarted server to stop'), 0);
    });
  });
});
