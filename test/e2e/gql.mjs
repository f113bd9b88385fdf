// A small GraphQL over HTTP client for the end-to-end tests: JSON POSTs with
// Node's fetch, a cookie jar of its own (fetch keeps none), an optional
// partner API key, and helpers to assert on data and error codes.

import assert from 'node:assert/strict';
import { delay, fetchWithin } from './server.mjs';

const T = 10_000; // per-request deadline

/**
 * A caller of one server: the cookies it was given (a browser's jar, reduced
 * to name=value) and, optionally, a bearer API key.
 */
export class Client {
  /**
   * @param {{ url: string }} server
   * @param {{ apiKey?: string, userAgent?: string }} [opts]
   */
  constructor(server, { apiKey, userAgent = 'omnify-e2e' } = {}) {
    this.server = server;
    this.apiKey = apiKey;
    this.userAgent = userAgent;
    /** @type {Map<string, string>} */
    this.cookies = new Map();
    /** Every Set-Cookie header received, raw, in order. */
    this.setCookies = [];
  }

  cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** Stores the Set-Cookie headers of res (an expired or empty cookie is removed). */
  remember(res) {
    for (const raw of res.headers.getSetCookie()) {
      this.setCookies.push(raw);
      const [pair, ...attrs] = raw.split(';');
      const eq = pair.indexOf('=');
      if (eq < 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => {
        const [k, v = ''] = a.split('=').map((x) => x.trim());
        if (/^max-age$/i.test(k)) return Number(v) <= 0;
        if (/^expires$/i.test(k)) return Date.parse(v) <= Date.now();
        return false;
      });
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /**
   * POSTs { query, variables } and resolves with { status, headers, body, text }.
   * opts.headers are added (or override); opts.contentType replaces
   * application/json; opts.rawBody replaces the JSON body.
   */
  async request(query, variables = {}, { headers = {}, contentType = 'application/json', rawBody, timeoutMs = T } = {}) {
    const h = { 'content-type': contentType, accept: 'application/graphql-response+json, application/json', 'user-agent': this.userAgent };
    if (this.cookies.size) h.cookie = this.cookieHeader();
    if (this.apiKey) h.authorization = `Bearer ${this.apiKey}`;
    Object.assign(h, headers);
    const res = await fetchWithin(timeoutMs, this.server.url, {
      method: 'POST',
      headers: h,
      body: rawBody ?? JSON.stringify({ query, variables }),
    });
    this.remember(res);
    const text = await res.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.status, headers: res.headers, body, text };
  }

  /** Runs an operation that must succeed; resolves with its data. */
  async data(query, variables = {}, opts = {}) {
    const r = await this.request(query, variables, opts);
    assert.equal(r.status, 200, `HTTP ${r.status} for ${oneLine(query)}: ${r.text.slice(0, 1000)}`);
    assert.ok(r.body && !r.body.errors, `errors for ${oneLine(query)}: ${JSON.stringify(r.body?.errors ?? r.text)}`);
    assert.ok(r.body.data, `no data for ${oneLine(query)}: ${r.text.slice(0, 1000)}`);
    return r.body.data;
  }

  /**
   * Runs an operation that must fail with extensions.code === code; resolves
   * with { error, response } (the first error with that code).
   */
  async fails(code, query, variables = {}, opts = {}) {
    const r = await this.request(query, variables, opts);
    const errors = r.body?.errors;
    assert.ok(Array.isArray(errors) && errors.length > 0, `expected ${code} for ${oneLine(query)}, got HTTP ${r.status}: ${r.text.slice(0, 1000)}`);
    const error = errors.find((e) => e.extensions?.code === code);
    assert.ok(error, `expected extensions.code ${code} for ${oneLine(query)}, got HTTP ${r.status}: ${JSON.stringify(errors)}`);
    return { error, response: r };
  }
}

function oneLine(q) {
  return q.replace(/\s+/g, ' ').trim().slice(0, 120);
}

/** Calls fn until it returns a truthy value; rejects with `what` and the last value after timeoutMs. */
export async function waitFor(what, fn, { timeoutMs = 60_000, intervalMs = 300 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last && last.ok) return last.value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${JSON.stringify(last?.value ?? last)}`);
    await delay(intervalMs);
  }
}

export const VIEWER = `
  me {
    user { id email name }
    organization { id name }
    role
    organizations { nodes { organization { id name } role } totalCount }
    legal { upToDate pending { id kind version } }
  }`;

/** The current legal documents, { id kind version required }. */
export async function legalDocuments(client) {
  const d = await client.data('{ legalDocuments { id kind version required } }');
  return d.legalDocuments;
}

let seq = 0;
/** A unique email address for this run. */
export function uniqueEmail(tag) {
  seq += 1;
  return `${tag}-${process.pid}-${Date.now().toString(36)}-${seq}@e2e.example.com`;
}

/**
 * Signs up a new user (owner of a new organization) on a fresh Client.
 * acceptAll: accept every current legal document while signing up.
 * Resolves with { client, email, password, viewer }.
 */
export async function signUp(server, { tag = 'user', acceptAll = true, name = 'E2E User', organizationName = `Org ${tag}` } = {}) {
  const client = new Client(server);
  const email = uniqueEmail(tag);
  const password = `pw-${tag}-correct-horse-battery`;
  const ids = acceptAll ? (await legalDocuments(client)).map((d) => d.id) : [];
  const d = await client.data(
    `mutation ($input: SignUpInput!) { signUp(input: $input) { viewer { user { id email } organization { id name } role } } }`,
    { input: { email, password, name, organizationName, acceptedLegalDocumentIds: ids } },
  );
  return { client, email, password, viewer: d.signUp.viewer };
}
