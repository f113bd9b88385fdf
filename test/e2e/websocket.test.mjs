// GraphQL over WebSocket: the reference graphql-transport-ws client
// (graphql-ws), raw protocol violations and their close codes, and the
// legacy graphql-ws (subscriptions-transport-ws) subprotocol.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { delay, startServer, withLogs, within } from './server.mjs';
import { openRaw, rawUpgrade } from './wsutil.mjs';
import { signUp } from './gql.mjs';

const TRANSPORT_WS = 'graphql-transport-ws';
const LEGACY_WS = 'graphql-ws';
const SERVER_INFO = '{ serverInfo { version startedAt } }';

/** A graphql-ws client that connects at once and never retries, so every close is seen. */
function referenceClient(server, on = {}) {
  const nonLazyErrors = [];
  let resolveAck;
  let rejectAck;
  const acked = new Promise((resolve, reject) => {
    resolveAck = resolve;
    rejectAck = reject;
  });
  const closes = [];
  const client = createClient({
    url: server.wsUrl,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: (e) => {
      nonLazyErrors.push(e);
      rejectAck(new Error(`graphql-ws client failed before connection_ack: ${describeClose(e)}`));
    },
    on: {
      ...on,
      connected: (socket, payload, wasRetry) => {
        resolveAck({ socket, payload, wasRetry });
        on.connected?.(socket, payload, wasRetry);
      },
      closed: (event) => {
        closes.push(event);
        on.closed?.(event);
      },
    },
  });
  acked.catch(() => {});
  return { client, acked, closes, nonLazyErrors };
}

function describeClose(e) {
  if (e && typeof e === 'object' && 'code' in e) return `close ${e.code} ${e.reason ?? ''}`;
  return String(e?.message ?? e);
}

/** Runs one operation through client.iterate and collects every result. */
async function collect(client, payload, timeoutMs = 5_000) {
  return within(
    timeoutMs,
    (async () => {
      const results = [];
      for await (const r of client.iterate(payload)) results.push(r);
      return results;
    })(),
    `the results of ${payload.query}`,
  );
}

function assertServerInfo(result) {
  assert.equal(result.errors, undefined, `unexpected errors: ${JSON.stringify(result.errors)}`);
  const info = result.data?.serverInfo;
  assert.ok(info, `no serverInfo in ${JSON.stringify(result)}`);
  assert.equal(typeof info.version, 'string');
  assert.ok(info.version.length > 0, 'version is empty');
  if ('startedAt' in info) {
    assert.match(info.startedAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/, 'startedAt is not RFC 3339 UTC');
  }
}

/** Opens a graphql-transport-ws socket and waits for connection_ack. */
async function ackedSocket(server) {
  const sock = await openRaw(server.wsUrl, TRANSPORT_WS);
  assert.equal(sock.ws.protocol, TRANSPORT_WS, 'server did not select graphql-transport-ws');
  sock.send({ type: 'connection_init' });
  await sock.nextOfType('connection_ack');
  return sock;
}

describe('graphql-transport-ws', () => {
  let server;
  const sockets = [];
  const clients = [];

  before(async () => {
    server = await startServer({ OMNIFY_WS_PING_INTERVAL: '300ms', OMNIFY_WS_INIT_TIMEOUT: '1s' });
  });

  after(async () => {
    for (const s of sockets) s.terminate();
    await Promise.allSettled(clients.map((c) => c.dispose()));
    if (server) assert.equal(await server.stop(), 0, `server did not exit cleanly\n${server.logs()}`);
  });

  const raw = async (protocols) => {
    const s = await openRaw(server.wsUrl, protocols);
    sockets.push(s);
    return s;
  };

  test('reference client: connection_ack, then a query returns data', { timeout: 15_000 }, () =>
    withLogs(server, async () => {
      const { client, acked } = referenceClient(server);
      clients.push(client);
      const { socket } = await within(5_000, acked, 'connection_ack (on.connected)');
      assert.equal(socket.protocol, TRANSPORT_WS);

      const results = await collect(client, { query: SERVER_INFO });
      assert.equal(results.length, 1, `expected one result, got ${JSON.stringify(results)}`);
      assertServerInfo(results[0]);

      // A named query with variables goes through the same path.
      const named = await collect(client, {
        query: 'query E2eWs($skip: Boolean!) { serverInfo { version @skip(if: $skip) } }',
        operationName: 'E2eWs',
        variables: { skip: false },
      });
      assert.equal(named.length, 1);
      assertServerInfo(named[0]);
      await client.dispose();
    }),
  );

  test('reference client answers server pings and stays connected', { timeout: 15_000 }, () =>
    withLogs(server, async () => {
      let pingsReceived = 0;
      let pongsSent = 0;
      const { client, acked, closes } = referenceClient(server, {
        ping: (received) => {
          if (received) pingsReceived++;
        },
        pong: (received) => {
          if (!received) pongsSent++;
        },
      });
      clients.push(client);
      const { socket } = await within(5_000, acked, 'connection_ack (on.connected)');

      // The server pings every 300 ms and drops a client that has not
      // answered within two intervals; 2.1 s is seven intervals.
      await delay(2_100);
      assert.deepEqual(closes.map(describeClose), [], 'the connection closed while the client was answering pings');
      assert.equal(socket.readyState, WebSocket.OPEN, 'socket is no longer open');
      assert.ok(pingsReceived >= 2, `expected at least 2 server pings in 2.1 s, got ${pingsReceived}`);
      assert.ok(pongsSent >= 2, `expected the client to answer with pongs, it sent ${pongsSent}`);

      // Still usable after the keep-alive exchange.
      const results = await collect(client, { query: SERVER_INFO });
      assert.equal(results.length, 1);
      assertServerInfo(results[0]);
      await client.dispose();
    }),
  );

  test('a client that never answers pings is dropped (the pongs above are what keep it alive)', { timeout: 15_000 }, () =>
    withLogs(server, async () => {
      const sock = await ackedSocket(server);
      sockets.push(sock);
      await sock.nextOfType('ping', 2_000);
      // Observed: the server ends the TCP connection without a close frame
      // (1006 at the client) two ping intervals (600 ms) after the last pong.
      const { code } = await sock.closedWithin(5_000, 'the server to drop a client that sends no pong');
      assert.notEqual(code, 1000, 'a dropped connection must not look like a normal closure');
    }),
  );

  test('a message that is not JSON closes with 4400', { timeout: 10_000 }, () =>
    withLogs(server, async () => {
      const sock = await raw(TRANSPORT_WS);
      sock.send('this is not JSON');
      const { code } = await sock.closedWithin(5_000);
      assert.equal(code, 4400);
    }),
  );

  test('a JSON message of an unknown type closes with 4400', { timeout: 10_000 }, () =>
    withLogs(server, async () => {
      const sock = await ackedSocket(server);
      sockets.push(sock);
      sock.send({ type: 'no_such_type' });
      const { code } = await sock.closedWithin(5_000);
      assert.equal(code, 4400);
    }),
  );

  test('subscribe before connection_init closes with 4401', { timeout: 10_000 }, () =>
    withLogs(server, async () => {
      const sock = await raw(TRANSPORT_WS);
      sock.send({ id: '1', type: 'subscribe', payload: { query: SERVER_INFO } });
      const { code } = await sock.closedWithin(5_000);
      assert.equal(code, 4401);
      assert.equal(sock.messages.filter((m) => m?.type === 'next').length, 0, 'the operation ran without init');
    }),
  );

  test('no connection_init within OMNIFY_WS_INIT_TIMEOUT=1s closes with 4408', { timeout: 10_000 }, () =>
    withLogs(server, async () => {
      const t0 = Date.now();
      const sock = await raw(TRANSPORT_WS);
      const { code } = await sock.closedWithin(5_000, 'the init timeout (1 s)');
      const elapsed = Date.now() - t0;
      assert.equal(code, 4408);
      assert.ok(elapsed >= 800, `closed after ${elapsed} ms, before the 1 s init timeout`);
    }),
  );

  test('a second connection_init closes with 4429', { timeout: 10_000 }, () =>
    withLogs(server, async () => {
      const sock = await ackedSocket(server);
      sockets.push(sock);
      sock.send({ type: 'connection_init' });
      const { code } = await sock.closedWithin(5_000);
      assert.equal(code, 4429);
    }),
  );

  test('an id may be reused once the server has completed it', { timeout: 10_000 }, () =>
    withLogs(server, async () => {
      const sock = await ackedSocket(server);
      sockets.push(sock);
      for (let i = 0; i < 2; i++) {
        sock.send({ id: 'same', type: 'subscribe', payload: { query: SERVER_INFO } });
        const next = await sock.nextOfType('next');
        assert.equal(next.id, 'same');
        assertServerInfo(next.payload);
        const complete = await sock.nextOfType('complete');
        assert.equal(complete.id, 'same');
      }
      assert.equal(sock.closeInfo, null, `socket closed: ${JSON.stringify(sock.closeInfo)}`);
      sock.ws.close(1000);
      await sock.closedWithin(5_000);
    }),
  );

  test('an unknown subprotocol only ("foo") is answered with close 4406', { timeout: 10_000 }, () =>
    withLogs(server, async () => {
      // Observed: the server completes the upgrade (101) without selecting a
      // subprotocol and then sends close 4406. The `ws` client fails such a
      // handshake itself ("Server sent no subprotocol", 1006) and never
      // surfaces the code, so read the close frame from a hand-made upgrade.
      const res = await rawUpgrade(server.wsUrl, ['foo']);
      assert.equal(res.status, 101, `expected the upgrade to be accepted, got ${res.status} ${res.body ?? ''}`);
      assert.equal(res.headers['sec-websocket-protocol'], undefined, 'server selected a subprotocol the client did not offer');
      assert.ok(res.frame, 'server sent no frame after the upgrade');
      assert.equal(res.frame.opcode, 0x8, `expected a close frame, got ${JSON.stringify(res.frame)}`);
      assert.equal(res.frame.code, 4406);

      // What a `ws` client sees: a failed handshake.
      const err = await openRaw(server.wsUrl, 'foo').then(
        (s) => {
          s.terminate();
          return null;
        },
        (e) => e,
      );
      assert.ok(err, 'ws accepted a connection without the subprotocol it asked for');
      assert.match(err.message, /subprotocol/i);
    }),
  );
});

describe('graphql-transport-ws: a subscription id still in use', () => {
  // A subscription stays active until its client completes it, so the
  // second subscribe with its id deterministically finds it in use. (The
  // schema's subscription needs a caller: a partner API key signs the
  // socket in at connection_init.)
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    if (server) assert.equal(await server.stop(), 0, `server did not exit cleanly\n${server.logs()}`);
  });

  test('reusing the id of an active subscription closes with 4409', { timeout: 20_000 }, () =>
    withLogs(server, async () => {
      const owner = await signUp(server, { tag: 'dup' });
      const key = await owner.client.data(
        'mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }',
        { input: { name: 'dup', scope: 'READ' } },
      );
      const sock = await openRaw(server.wsUrl, TRANSPORT_WS);
      try {
        sock.send({ type: 'connection_init', payload: { Authorization: `Bearer ${key.createApiKey.secret}` } });
        await sock.nextOfType('connection_ack');
        const events = 'subscription { integrationEvents { platform status } }';
        sock.send({ id: 'dup', type: 'subscribe', payload: { query: events } });
        await delay(200);
        sock.send({ id: 'dup', type: 'subscribe', payload: { query: events } });
        const { code, reason } = await sock.closedWithin(10_000);
        const seen = sock.messages.map((m) => m?.type);
        assert.equal(
          code,
          4409,
          `expected 4409 for the reused id, got ${code} ${reason}; messages: ${JSON.stringify(seen)}`,
        );
      } finally {
        sock.terminate();
      }
    }),
  );
});

describe('legacy graphql-ws subprotocol', () => {
  let server;
  const sockets = [];
  before(async () => {
    server = await startServer({ OMNIFY_WS_PING_INTERVAL: '300ms' });
  });
  after(async () => {
    for (const s of sockets) s.terminate();
    if (server) assert.equal(await server.stop(), 0, `server did not exit cleanly\n${server.logs()}`);
  });

  test('connection_init → connection_ack; start → data, complete', { timeout: 10_000 }, () =>
    withLogs(server, async () => {
      const sock = await openRaw(server.wsUrl, LEGACY_WS);
      sockets.push(sock);
      assert.equal(sock.ws.protocol, LEGACY_WS, 'server did not select graphql-ws');
      sock.send({ type: 'connection_init', payload: {} });
      await sock.nextOfType('connection_ack');

      sock.send({ id: '1', type: 'start', payload: { query: SERVER_INFO } });
      const data = await sock.nextOfType('data');
      assert.equal(data.id, '1');
      assertServerInfo(data.payload);
      const complete = await sock.nextOfType('complete');
      assert.equal(complete.id, '1');

      // Only keep-alives ("ka") may arrive besides; no errors.
      const unexpected = sock.messages.filter((m) => !['connection_ack', 'ka', 'data', 'complete'].includes(m?.type));
      assert.deepEqual(unexpected, []);

      sock.send({ type: 'connection_terminate' });
      const { code } = await sock.closedWithin(5_000, 'the server to close after connection_terminate');
      assert.equal(code, 1000);
    }),
  );
});
