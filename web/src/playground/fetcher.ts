// The playground's fetcher: queries and mutations over HTTP with the headers
// typed in GraphiQL's headers editor (and the session cookie, with the CSRF
// header), subscriptions over graphql-ws with the same Authorization header
// in connection_init.
import type { Fetcher, FetcherOpts, FetcherParams } from '@graphiql/toolkit';
import { parse, type OperationDefinitionNode } from 'graphql';
import { createClient, type Client, type ExecutionResult } from 'graphql-ws';

export function isSubscription(params: FetcherParams): boolean {
  try {
    const doc = parse(params.query);
    const ops = doc.definitions.filter((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
    const op = params.operationName ? ops.find((o) => o.name?.value === params.operationName) : ops[0];
    return op?.operation === 'subscription';
  } catch {
    return false;
  }
}

/** The Authorization header among the editor's headers, whatever its case. */
export function authorizationOf(headers: Record<string, unknown> | undefined): string | undefined {
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (k.toLowerCase() === 'authorization' && typeof v === 'string' && v.trim()) return v.trim();
  }
  return undefined;
}

export function makeFetcher(loc: Location = window.location): Fetcher {
  const wsUrl = `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/graphql`;
  let ws: { client: Client; auth: string | undefined } | null = null;

  const socketFor = (auth: string | undefined): Client => {
    if (ws && ws.auth === auth) return ws.client;
    void ws?.client.dispose();
    const client = createClient({
      url: wsUrl,
      lazy: true,
      connectionParams: auth ? { Authorization: auth } : {},
      retryAttempts: 3,
    });
    ws = { client, auth };
    return client;
  };

  return (params: FetcherParams, opts?: FetcherOpts) => {
    const headers = (opts?.headers ?? {}) as Record<string, string>;
    if (isSubscription(params)) {
      return socketFor(authorizationOf(headers)).iterate(params as { query: string }) as AsyncIterable<ExecutionResult>;
    }
    return fetch('/graphql', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json, application/json', 'X-Omnify-Csrf': '1', ...headers },
      body: JSON.stringify(params),
    }).then((r) => r.json());
  };
}
