// Numbers and dates as a store owner reads them.

const locale = typeof navigator !== 'undefined' && navigator.language ? navigator.language : 'en-US';

const moneyFormats = new Map<string, Intl.NumberFormat>();

/** An amount in its currency: $12,340 (no cents from 1,000 up). */
export function money(amount: number, currency = 'USD', opts: { cents?: boolean } = {}): string {
  const cents = opts.cents ?? Math.abs(amount) < 1000;
  const key = `${currency}:${cents}`;
  let f = moneyFormats.get(key);
  if (!f) {
    try {
      f = new Intl.NumberFormat(locale, {
        style: 'currency',
        currency,
        minimumFractionDigits: cents ? 2 : 0,
        maximumFractionDigits: cents ? 2 : 0,
      });
    } catch {
      f = new Intl.NumberFormat(locale, { style: 'currency', currency: 'USD' });
    }
    moneyFormats.set(key, f);
  }
  return f.format(amount);
}

/** A compact amount for chart axes: $12.3K. */
export function moneyCompact(amount: number, currency = 'USD'): string {
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency, notation: 'compact', maximumFractionDigits: 1 }).format(amount);
  } catch {
    return amount.toFixed(0);
  }
}

/** A whole count: 1,234. */
export function count(n: number): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(n);
}

/** A ratio such as ROAS: 3.42×. */
export function ratio(r: number): string {
  return `${new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(r)}×`;
}

/** A share from 0 to 1 as a percentage: 12.5%. */
export function percent(share: number, digits = 1): string {
  return new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: 0, maximumFractionDigits: digits }).format(share);
}

export interface Change {
  /** The relative change, or null when there was nothing before. */
  ratio: number | null;
  /** "+12.5%", "−3.0%", "new" or "no change". */
  label: string;
  direction: 'up' | 'down' | 'flat';
}

/** The change of a figure against the previous period. */
export function change(current: number, previous: number): Change {
  if (previous === 0) {
    if (current === 0) return { ratio: 0, label: 'no change', direction: 'flat' };
    return { ratio: null, label: 'new', direction: current > 0 ? 'up' : 'down' };
  }
  const r = (current - previous) / Math.abs(previous);
  if (Math.abs(r) < 0.0005) return { ratio: 0, label: 'no change', direction: 'flat' };
  const abs = new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(Math.abs(r));
  return { ratio: r, label: `${r > 0 ? '+' : '−'}${abs}`, direction: r > 0 ? 'up' : 'down' };
}

/** A date-time for lists: Nov 26, 2026, 09:30. */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

/** A calendar day (YYYY-MM-DD, UTC) for axes and ranges: Nov 26. */
export function day(date: string, withYear = false): string {
  const d = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return date;
  return new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', year: withYear ? 'numeric' : undefined, timeZone: 'UTC' }).format(d);
}

/** How long ago, for feeds: "just now", "5 min ago", "3 h ago", else the date. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return '—';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return dateTime(iso);
}

/** A duration between two instants: 1.2 s, 3 min 4 s. */
export function duration(from: string | null | undefined, to: string | null | undefined): string {
  if (!from || !to) return '—';
  const ms = new Date(to).getTime() - new Date(from).getTime();
  if (!(ms >= 0)) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** YYYY-MM-DD of a Date in UTC. */
export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/**
 * The last `days` full days (UTC), ending yesterday, as a Date range: today
 * is not over, and counting it would show a fall on the chart and against
 * the previous period that is only the hours still to come.
 */
export function lastDays(days: number, today = new Date()): { from: string; to: string } {
  const to = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - 1));
  const from = new Date(to.getTime() - (days - 1) * 86_400_000);
  return { from: isoDay(from), to: isoDay(to) };
}

/** A platform's name as its makers write it. */
export function platformName(p: string): string {
  switch (p) {
    case 'TRIPLE_WHALE':
      return 'Triple Whale';
    case 'HUBSPOT':
      return 'HubSpot';
    case 'KLAVIYO':
      return 'Klaviyo';
  }
  return p;
}

/** An enum value as words: "READ_WRITE" → "Read write". */
export function words(v: string): string {
  const s = v.replace(/_/g, ' ').toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** A HubSpot stage id as words: "appointmentscheduled" → "Appointment scheduled". */
export function stageName(stage: string): string {
  const known: Record<string, string> = {
    appointmentscheduled: 'Appointment scheduled',
    qualifiedtobuy: 'Qualified to buy',
    presentationscheduled: 'Presentation scheduled',
    decisionmakerboughtin: 'Decision maker bought in',
    contractsent: 'Contract sent',
    closedwon: 'Closed won',
    closedlost: 'Closed lost',
  };
  return known[stage] ?? words(stage);
}
