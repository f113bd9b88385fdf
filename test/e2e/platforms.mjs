// Fake Triple Whale, HubSpot and Klaviyo APIs for the integration tests: a
// thin client of the Go fake that every other test of the integrations uses
// (package internal/integrations/platform/platformtest). startPlatforms
// builds its command (cmd/platformfake) with `go build`, starts it on
// loopback ports and drives it through its control API: accounts with their
// keys and data, revoked keys, injected faults, and the requests the
// platforms got, so that a failing test can show what omnify asked.

import { execFile, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const PKG = './internal/integrations/platform/platformtest/cmd/platformfake';

/** YYYY-MM-DD of today (UTC) plus `days`. */
export function day(days) {
  const d = new Date();
  d.setUTCHours(0, 0, 0, 0);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Fakes still running, killed if the test process exits early. */
const running = new Set();
process.on('exit', () => {
  for (const { proc, dir } of running) {
    try {
      proc.kill('SIGKILL');
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Klaviyo's reporting limits (burst, steady, daily) with windows short
 * enough that the suite's syncs need not wait a minute for each other.
 */
export const REPORT_LIMITS = '1/50ms,2/500ms,225/24h';

/**
 * Builds and starts the fake platforms.
 *
 * @param {{ hubSpotPageSize?: number, klaviyoPageSize?: number }} [opts]
 *   small pages (the default, 2) make omnify walk several pages.
 * @returns {Promise<{
 *   urls: { tripleWhale: string, hubSpot: string, klaviyo: string },
 *   env: Record<string, string>,
 *   addAccount: (config: object) => Promise<Account>,
 *   counts: () => Promise<{ total: number, counts: Record<string, number> }>,
 *   requests: (filter?: { platform?: string, path?: string }) => Promise<Array<{
 *     platform: string, method: string, path: string, query?: string, account?: string, status: number, body?: string }>>,
 *   log: (max?: number) => Promise<string>,
 *   close: () => Promise<void>,
 * }>} env holds the OMNIFY_*_BASE_URL settings that point omnify at the fakes.
 */
export async function startPlatforms({ hubSpotPageSize = 2, klaviyoPageSize = 2, klaviyoReportLimits = REPORT_LIMITS } = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'omnify-platformfake-'));
  const bin = path.join(dir, 'platformfake');
  try {
    await promisify(execFile)('go', ['build', '-o', bin, PKG], { cwd: REPO, maxBuffer: 16 << 20 });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`go build ${PKG} failed: ${e.stderr || e.message}`);
  }
  // -stdin: the fake stops when this process goes away and its stdin closes.
  const args = ['-stdin', '-hubspot-page-size', String(hubSpotPageSize), '-klaviyo-page-size', String(klaviyoPageSize)];
  const proc = spawn(bin, [...args, '-klaviyo-report-limits', klaviyoReportLimits], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const entry = { proc, dir };
  running.add(entry);
  let stderr = '';
  proc.stderr.on('data', (c) => {
    stderr += c;
  });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const line = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout });
    rl.once('line', (l) => {
      rl.close();
      resolve(l);
    });
    proc.once('exit', (code) => reject(new Error(`platformfake exited (${code}) before printing its URLs: ${stderr}`)));
  });
  const { control, ...urls } = JSON.parse(line);

  async function call(method, p, body) {
    const res = await fetch(`${control}/_control${p}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const out = await res.json();
    if (!res.ok) throw new Error(`platformfake ${method} ${p}: ${res.status} ${out.error ?? JSON.stringify(out)}`);
    return out;
  }

  /**
   * An account on the three platforms (see platformtest.AccountConfig):
   * { name, keys: { tripleWhale, hubSpot, klaviyo }, shopDomain,
   * organizationName, days: { 'YYYY-MM-DD': { revenue, adSpend, orders,
   * netProfit, emailsReceived, emailsOpened, emailsClicked, emailOrders,
   * emailRevenue } } (emailOrders and emailRevenue are Klaviyo's "Placed
   * Order"), deals, contacts, campaigns (with the revenue and conversions
   * Klaviyo attributes to each sent one), flows, flowDays: { 'YYYY-MM-DD':
   * { flowId: { revenue, conversions } } } (what each flow's emails sent
   * that day earned) }. What is left out is generated.
   *
   * @typedef {{
   *   name: string, keys: Record<string, string>,
   *   view: () => Promise<object>,
   *   figures: (from: string, to: string) => Promise<{ total: object, days: Record<string, object> }>,
   *   attributed: (from: string, to: string) => Promise<{ total: { revenue: number, conversions: number },
   *     campaigns: Record<string, object>, flows: Record<string, object> }>,
   *   revoke: (platform: string, status?: number) => Promise<void>,
   *   restore: (platform: string) => Promise<void>,
   *   injectFault: (fault: { platform?: string, path?: string, status?: number, drop?: boolean, every?: number, times?: number, retryAfter?: number }) => Promise<void>,
   *   clearFaults: () => Promise<void>,
   *   count: (methodPath: string) => Promise<number>,
   * }} Account
   */
  async function addAccount(config) {
    const view = await call('POST', '/accounts', config);
    const at = `/accounts/${encodeURIComponent(view.name)}`;
    return {
      name: view.name,
      keys: view.keys,
      /** The account's records, the faults it was served and its request counts. */
      view: () => call('GET', at),
      figures: (from, to) => call('GET', `${at}/figures?from=${from}&to=${to}`),
      /** What Klaviyo's reports attribute to the emails sent from `from` to `to`, by campaign and flow. */
      attributed: (from, to) => call('GET', `${at}/attributed?from=${from}&to=${to}`),
      /** The platform ('triplewhale', 'hubspot', 'klaviyo') refuses the key from now on. */
      revoke: async (platform, status = 401) => void (await call('POST', `${at}/revoke`, { platform, status })),
      restore: async (platform) => void (await call('POST', `${at}/restore`, { platform })),
      injectFault: async (fault) => void (await call('POST', `${at}/faults`, fault)),
      clearFaults: async () => void (await call('DELETE', `${at}/faults`)),
      /** Requests with this account's key to "METHOD path" (path relative to the platform's base URL). */
      count: async (methodPath) => (await call('GET', at)).counts[methodPath] ?? 0,
    };
  }

  async function requests({ platform = '', path: p = '' } = {}) {
    return call('GET', `/requests?platform=${encodeURIComponent(platform)}&path=${encodeURIComponent(p)}`);
  }

  return {
    urls,
    env: {
      OMNIFY_TRIPLEWHALE_BASE_URL: urls.tripleWhale,
      OMNIFY_HUBSPOT_BASE_URL: urls.hubSpot,
      OMNIFY_KLAVIYO_BASE_URL: urls.klaviyo,
      // omnify keeps within the limits the fake enforces.
      OMNIFY_KLAVIYO_REPORT_LIMITS: klaviyoReportLimits,
    },
    addAccount,
    counts: () => call('GET', '/counts'),
    requests,
    /** The last requests, one line each, for failure messages. */
    async log(max = 60) {
      let all;
      try {
        all = await requests();
      } catch (e) {
        return `--- platform requests unavailable: ${e.message} ---`;
      }
      return `--- platform requests (last ${max} of ${all.length}) ---\n${all
        .slice(-max)
        .map((r) => `${r.platform} ${r.method} ${r.path}${r.query ? `?${r.query}` : ''} -> ${r.status}${r.body ? ` ${r.body.slice(0, 300)}` : ''}`)
        .join('\n')}`;
    },
    async close() {
      if (!running.has(entry)) return;
      running.delete(entry);
      proc.stdin.end();
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
