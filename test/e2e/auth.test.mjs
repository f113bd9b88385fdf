// Authentication and tenancy as a browser and a partner see them: the session
// cookie, organizations kept apart, partner API keys and their scopes,
// revocation, login throttling, the CSRF rule for cookie-authenticated
// requests, and a WebSocket with a bad key.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fetchWithin, startServer, withLogs } from './server.mjs';
import { openRaw } from './wsutil.mjs';
import { Client, VIEWER, signUp } from './gql.mjs';

const DISCONNECT = 'mutation { disconnectIntegration(input: { platform: HUBSPOT }) { integration { platform status } } }';
const CREATE_KEY = `mutation ($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { apiKey { id prefix scope revoked } secret }
}`;

describe('authentication and organizations', () => {
  let server;
  /** Owner of organization A, and owner of organization B. */
  let a;
  let b;
  let bKeyId;

  before(async () => {
    server = await startServer();
    await withLogs(server, async () => {
      a = await signUp(server, { tag: 'auth-a', organizationName: 'Org A' });
      b = await signUp(server, { tag: 'auth-b', organizationName: 'Org B' });
      const k = await b.client.data(CREATE_KEY, { input: { name: 'B key', scope: 'READ_WRITE' } });
      bKeyId = k.createApiKey.apiKey.id;
    });
  });

  after(async () => {
    if (server) assert.equal(await server.stop(), 0, `server did not exit cleanly\n${server.logs()}`);
  });

  test('signUp sets an HttpOnly session cookie and never returns the token in the body', { timeout: 20_000 }, () =>
    withLogs(server, async () => {
      const session = a.client.setCookies.find((c) => /^omnify_session=/.test(c));
      assert.ok(session, `no omnify_session cookie in ${JSON.stringify(a.client.setCookies)}`);
      assert.match(session, /;\s*HttpOnly/i);
      assert.match(session, /;\s*SameSite=Lax/i);
      assert.equal(a.viewer.user.email, a.email);
      assert.equal(a.viewer.organization.name, 'Org A');
      assert.equal(a.viewer.role, 'OWNER');

      // A separate log-in: the body has the viewer, the token only the cookie.
      const c = new Client(server);
      const r = await c.request(`mutation ($input: LogInInput!) { logIn(input: $input) { viewer { user { email } role } } }`, {
        input: { email: a.email, password: a.password },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.errors, undefined, r.text);
      assert.equal(r.body.data.logIn.viewer.user.email, a.email);
      const token = c.cookies.get('omnify_session');
      assert.ok(token, `logIn set no omnify_session cookie: ${JSON.stringify(c.setCookies)}`);
      assert.ok(!r.text.includes(token), 'the session token appears in the logIn body');

      const me = (await c.data(`{ ${VIEWER} }`)).me;
      assert.equal(me.user.email, a.email);
      assert.equal(me.organization.name, 'Org A');
      assert.equal(me.role, 'OWNER');
      assert.deepEqual(
        me.organizations.nodes.map((m) => [m.organization.name, m.role]),
        [['Org A', 'OWNER']],
      );
      assert.equal(me.legal.upToDate, true, JSON.stringify(me.legal));

      // Without the cookie, the caller is anonymous.
      const anon = new Client(server);
      assert.equal((await anon.data('{ me { role } }')).me, null);

      // logOut clears it.
      assert.deepEqual((await c.data('mutation { logOut { loggedOut } }')).logOut, { loggedOut: true });
      assert.equal((await c.data('{ me { role } }')).me, null);
    }),
  );

  test("another organization's ids are NOT_FOUND", { timeout: 20_000 }, () =>
    withLogs(server, async () => {
      const bUser = b.viewer.user.id;
      await a.client.fails('NOT_FOUND', `mutation ($id: ID!) { updateMemberRole(input: { userId: $id, role: VIEWER }) { member { role } } }`, { id: bUser });
      await a.client.fails('NOT_FOUND', `mutation ($id: ID!) { removeMember(input: { userId: $id }) { removedMemberId } }`, { id: bUser });
      await a.client.fails('NOT_FOUND', `mutation ($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { id revoked } } }`, { id: bKeyId });
      await a.client.fails('NOT_FOUND', `mutation ($id: ID!) { switchOrganization(input: { organizationId: $id }) { viewer { organization { id } } } }`, {
        id: b.viewer.organization.id,
      });
      // node(id:) keeps B's objects as secret as the typed fields do.
      for (const id of [bUser, bKeyId, b.viewer.organization.id]) {
        const { response } = await a.client.fails('NOT_FOUND', `query ($id: ID!) { node(id: $id) { id } }`, { id });
        assert.equal(response.body.data?.node ?? null, null);
      }
      // A malformed id names the input field at fault.
      const { error } = await a.client.fails('BAD_USER_INPUT', `mutation { removeMember(input: { userId: "not-an-id" }) { removedMemberId } }`);
      assert.equal(error.extensions.field, 'userId');

      // Nothing changed on B's side.
      const bState = await b.client.data(`{ me { role organization { members { nodes { user { id } role } totalCount } } } apiKeys { nodes { id revoked } } }`);
      assert.equal(bState.me.role, 'OWNER');
      assert.deepEqual(bState.me.organization.members, { nodes: [{ user: { id: bUser }, role: 'OWNER' }], totalCount: 1 });
      assert.deepEqual(bState.apiKeys.nodes.find((k) => k.id === bKeyId), { id: bKeyId, revoked: false });
      // B reads its own objects back by id, the same as from the typed fields.
      const own = await b.client.data(`query ($u: ID!, $k: ID!) { u: node(id: $u) { id ... on User { email } } k: node(id: $k) { id ... on ApiKey { revoked } } }`, {
        u: bUser,
        k: bKeyId,
      });
      assert.deepEqual(own, { u: { id: bUser, email: b.email }, k: { id: bKeyId, revoked: false } });
      // And A is still in A.
      assert.equal((await a.client.data('{ me { organization { name } } }')).me.organization.name, 'Org A');
    }),
  );

  test('a READ key reads but cannot write; once revoked it gets 401', { timeout: 20_000 }, () =>
    withLogs(server, async () => {
      const created = (await a.client.data(CREATE_KEY, { input: { name: 'partner read', scope: 'READ' } })).createApiKey;
      assert.equal(created.apiKey.scope, 'READ');
      assert.ok(created.secret.startsWith(created.apiKey.prefix), `secret does not start with its prefix ${created.apiKey.prefix}`);

      const partner = new Client(server, { apiKey: created.secret });
      const me = (await partner.data('{ me { user { id } organization { name } role apiKey { id scope } } }')).me;
      assert.equal(me.user, null);
      assert.equal(me.organization.name, 'Org A');
      assert.equal(me.role, 'VIEWER');
      assert.deepEqual(me.apiKey, { id: created.apiKey.id, scope: 'READ' });

      // A mutation a READ_WRITE key may make (see the next test) is refused.
      const { error, response } = await partner.fails('FORBIDDEN', DISCONNECT);
      assert.match(error.message, /READ/);
      assert.equal(response.body.data?.disconnectIntegration ?? null, null);

      const revoked = (
        await a.client.data(`mutation ($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { id revoked revokedAt } } }`, { id: created.apiKey.id })
      ).revokeApiKey.apiKey;
      assert.equal(revoked.id, created.apiKey.id);
      assert.equal(revoked.revoked, true);
      assert.ok(revoked.revokedAt);

      const r = await partner.request('{ me { role } }');
      assert.equal(r.status, 401, `revoked key: HTTP ${r.status} ${r.text}`);
      assert.ok(r.body?.errors?.some((e) => e.extensions?.code === 'UNAUTHENTICATED'), r.text);

      const bogus = await new Client(server, { apiKey: 'omk_000000000000000000000000_notakey' }).request('{ me { role } }');
      assert.equal(bogus.status, 401, `bogus key: HTTP ${bogus.status} ${bogus.text}`);
      assert.ok(bogus.body?.errors?.some((e) => e.extensions?.code === 'UNAUTHENTICATED'), bogus.text);
    }),
  );

  test('a READ_WRITE key can write', { timeout: 20_000 }, () =>
    withLogs(server, async () => {
      const created = (await a.client.data(CREATE_KEY, { input: { name: 'partner rw', scope: 'READ_WRITE' } })).createApiKey;
      const partner = new Client(server, { apiKey: created.secret });
      assert.equal((await partner.data('{ me { role } }')).me.role, 'ADMIN');
      const d = await partner.data(DISCONNECT);
      assert.deepEqual(d.disconnectIntegration.integration, { platform: 'HUBSPOT', status: 'DISCONNECTED' });
    }),
  );

  test('acceptLegalDocuments with an API key is refused as needing a user, not an internal error', { timeout: 20_000 }, () =>
    withLogs(server, async () => {
      const created = (await a.client.data(CREATE_KEY, { input: { name: 'partner legal', scope: 'READ_WRITE' } })).createApiKey;
      const partner = new Client(server, { apiKey: created.secret });
      const ids = (await partner.data('{ legalDocuments { id } }')).legalDocuments.map((d) => d.id);
      await partner.fails('FORBIDDEN', `mutation ($ids: [ID!]!) { acceptLegalDocuments(input: { documentIds: $ids }) { legal { upToDate } } }`, { ids });
    }),
  );

  test('cookie-authenticated text/plain POSTs and GETs are refused with 403 unless they carry X-Omnify-Csrf', { timeout: 20_000 }, () =>
    withLogs(server, async () => {
      const query = '{ me { user { email } } }';
      const plain = await a.client.request(null, null, { contentType: 'text/plain', rawBody: JSON.stringify({ query }) });
      assert.equal(plain.status, 403, `text/plain POST with the cookie: HTTP ${plain.status} ${plain.text}`);
      assert.ok(!plain.text.includes(a.email), 'a refused request still returned the user');

      const get = (headers) =>
        fetchWithin(10_000, `${server.url}?query=${encodeURIComponent(query)}`, {
          headers: { accept: 'application/json', cookie: a.client.cookieHeader(), ...headers },
        }).then(async (r) => ({ status: r.status, text: await r.text() }));
      const bare = await get({});
      assert.equal(bare.status, 403, `GET with the cookie: HTTP ${bare.status} ${bare.text}`);
      assert.ok(!bare.text.includes(a.email), 'a refused GET still returned the user');
      const marked = await get({ 'x-omnify-csrf': '1' });
      assert.equal(marked.status, 200, `GET with the cookie and X-Omnify-Csrf: HTTP ${marked.status} ${marked.text}`);
      assert.equal(JSON.parse(marked.text).data.me.user.email, a.email);

      // The JSON POST needs no header.
      const json = await a.client.request(query);
      assert.equal(json.status, 200);
      assert.equal(json.body.data.me.user.email, a.email);
    }),
  );

  test('a WebSocket whose connection_init carries a bad key is closed with 4403', { timeout: 20_000 }, () =>
    withLogs(server, async () => {
      const sock = await openRaw(server.wsUrl, 'graphql-transport-ws');
      try {
        sock.send({ type: 'connection_init', payload: { Authorization: 'Bearer omk_000000000000000000000000_notakey' } });
        const { code, reason } = await sock.closedWithin(5_000, 'the server to refuse the bad key');
        assert.equal(code, 4403, `expected close 4403, got ${code} ${reason}`);
        assert.ok(!sock.messages.some((m) => m?.type === 'connection_ack'), `acknowledged a bad key: ${JSON.stringify(sock.messages)}`);
      } finally {
        sock.terminate();
      }
    }),
  );

  // Last: it throttles logins for A's email.
  test('after 5 failed logins the 6th, even with the right password, is RATE_LIMITED', { timeout: 30_000 }, () =>
    withLogs(server, async () => {
      const LOGIN = `mutation ($input: LogInInput!) { logIn(input: $input) { viewer { user { email } } } }`;
      const c = new Client(server);
      for (let i = 1; i <= 5; i++) {
        const { error } = await c.fails('UNAUTHENTICATED', LOGIN, { input: { email: a.email, password: `wrong-password-${i}` } });
        assert.ok(!('retryAfterSeconds' in (error.extensions ?? {})), `attempt ${i} already throttled: ${JSON.stringify(error)}`);
      }
      const { error, response } = await c.fails('RATE_LIMITED', LOGIN, { input: { email: a.email, password: a.password } });
      const retry = error.extensions.retryAfterSeconds;
      assert.ok(Number.isInteger(retry) && retry > 0 && retry <= 15 * 60, `retryAfterSeconds = ${JSON.stringify(retry)}`);
      assert.equal(c.cookies.get('omnify_session'), undefined, 'a throttled login set a session cookie');
      assert.equal(response.body.data?.logIn ?? null, null);

      // Another account is not affected.
      const other = new Client(server);
      const d = await other.data(LOGIN, { input: { email: b.email, password: b.password } });
      assert.equal(d.logIn.viewer.user.email, b.email);
    }),
  );
});
