// The one Apollo Client of the app: HTTP with the session cookie and the CSRF
// header for queries and mutations, graphql-ws on the same origin for
// subscriptions, and the cache reset whenever the organization changes.
import { ApolloClient, ApolloLink, HttpLink, Observable, makeVar, split, type FetchResult, type Operation } from '@apollo/client';
import { onError } from '@apollo/client/link/error';
import { getMainDefinition } from '@apollo/client/utilities';
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { makeCache } from './cache';
import { errorsOf } from './errors';

/** Sent on every request: cookie-authenticated requests must carry it. */
export const CSRF_HEADERS = { 'X-Omnify-Csrf': '1' } as const;

export type SocketState = 'idle' | 'connecting' | 'connected' | 'reconnecting';

/** Where the live connection stands, for the "reconnecting" banner. */
export const socketState = makeVar<SocketState>('idle');
/** Set when a response says required legal documents are pending. */
export const legalRequired = makeVar(false);
/** Set when a response says the session is gone. */
export const sessionLost = makeVar(false);

export function websocketUrl(loc: Location = window.location): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/graphql`;
}

let wsClient: Client | null = null;
let everConnected = false;

function newSocketClient(): Client {
  everConnected = false;
  return createClient({
    url: websocketUrl(),
    lazy: true,
    lazyCloseTimeout: 5_000,
    keepAlive: 20_000,
    // A lost connection is retried for as long as something listens, with
    // growing pauses; subscriptions are sent again once it is back.
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait: async (retries) => {
      const ms = Math.min(1_000 * 2 ** retries, 10_000) * (0.75 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, ms));
    },
    on: {
      connecting: () => socketState(everConnected ? 'reconnecting' : 'connecting'),
      connected: () => {
        everConnected = true;
        socketState('connected');
      },
      closed: (event) => {
        const code = (event as CloseEvent | undefined)?.code;
        // 1000: closed on purpose (nothing subscribed any more, or a reset).
        socketState(code === 1000 || !everConnected ? 'idle' : 'reconnecting');
      },
    },
  });
}

/** The WebSocket client, for subscriptions that manage their own resume. */
export function socket(): Client {
  wsClient ??= newSocketClient();
  return wsClient;
}

/** Closes the socket, so the next subscription connects with the new session. */
export function restartSocket(): void {
  const old = wsClient;
  wsClient = null;
  socketState('idle');
  void old?.dispose();
}

class SocketLink extends ApolloLink {
  request(operation: Operation): Observable<FetchResult> {
    return new Observable((sink) =>
      socket().subscribe(
        {
          query: print(operation.query),
          variables: operation.variables,
          operationName: operation.operationName,
          extensions: operation.extensions,
        },
        {
          next: (v) => sink.next(v as FetchResult),
          complete: () => sink.complete(),
          error: (err) => {
            if (Array.isArray(err)) {
              // GraphQL errors of the subscription: a result, not a broken link.
              sink.next({ errors: err });
              sink.complete();
            } else {
              sink.error(err instanceof Error ? err : new Error(socketErrorMessage(err)));
            }
          },
        },
      ),
    );
  }
}

function socketErrorMessage(err: unknown): string {
  const ev = err as CloseEvent | undefined;
  if (ev && typeof ev.code === 'number') return `The live connection closed (${ev.code}${ev.reason ? `: ${ev.reason}` : ''}).`;
  return 'The live connection failed.';
}

/** Operations whose UNAUTHENTICATED is about what was typed, not a lost session. */
const CREDENTIAL_OPERATIONS = new Set(['Session', 'LogIn', 'SignUp', 'LogOut', 'ChangePassword']);

const errorLink = onError((res) => {
  for (const e of errorsOf(res)) {
    if (e.code === 'LEGAL_ACCEPTANCE_REQUIRED') legalRequired(true);
    if (e.code === 'UNAUTHENTICATED' && !CREDENTIAL_OPERATIONS.has(res.operation.operationName)) sessionLost(true);
  }
});

export function makeClient(): ApolloClient<unknown> {
  // application/json: a request refused before it runs (the legal gate, an
  // ended session) comes back 200 with its errors, which then reach the
  // form or page that sent it like any other GraphQL error.
  const http = new HttpLink({ uri: '/graphql', credentials: 'same-origin', headers: { ...CSRF_HEADERS, accept: 'application/json' } });
  const link = split(
    ({ query }) => {
      const def = getMainDefinition(query);
      return def.kind === 'OperationDefinition' && def.operation === 'subscription';
    },
    new SocketLink(),
    http,
  );
  return new ApolloClient({
    link: ApolloLink.from([errorLink, link]),
    cache: makeCache(),
    defaultOptions: {
      watchQuery: { errorPolicy: 'all', fetchPolicy: 'cache-and-network', nextFetchPolicy: 'cache-first' },
      query: { errorPolicy: 'all' },
      mutate: { errorPolicy: 'all' },
    },
  });
}

export const client = makeClient();

/**
 * After a log-in, a sign-up or a switch of organization: everything cached
 * belonged to the previous organization (or nobody), so it goes, the live
 * connection reconnects with the new session, and what is on screen loads
 * again.
 */
export async function resetForNewOrganization(): Promise<void> {
  restartSocket();
  legalRequired(false);
  sessionLost(false);
  await client.resetStore();
}

/** After a log-out: nothing of the session may stay in memory. */
export async function resetAfterLogout(): Promise<void> {
  restartSocket();
  legalRequired(false);
  sessionLost(false);
  await client.clearStore();
}
