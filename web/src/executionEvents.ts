// The log of an agent execution as the page keeps it: events in sequence
// order, each once, whatever order or how often the subscription, a resumed
// subscription and the initial query deliver them.

export interface ExecutionEvent {
  sequence: number;
  type: string;
  message: string;
  data?: unknown;
  at: string;
}

export const TERMINAL_TYPES = ['SUCCEEDED', 'FAILED', 'CANCELLED'] as const;

export interface EventLog<E extends ExecutionEvent = ExecutionEvent> {
  events: E[];
  /** The highest sequence held with none missing before it: resume after it. */
  lastSequence: number;
  /** True once the last event (SUCCEEDED, FAILED or CANCELLED) is held. */
  finished: boolean;
}

export function emptyLog<E extends ExecutionEvent>(): EventLog<E> {
  return { events: [], lastSequence: 0, finished: false };
}

/**
 * Adds events to a log: duplicates (a sequence already held) are dropped,
 * the rest are put in sequence order. The same log comes back when nothing
 * is new, so React skips the render.
 */
export function addEvents<E extends ExecutionEvent>(log: EventLog<E>, incoming: readonly E[]): EventLog<E> {
  const have = new Set(log.events.map((e) => e.sequence));
  const fresh = incoming.filter((e) => {
    if (have.has(e.sequence)) return false;
    have.add(e.sequence);
    return true;
  });
  if (fresh.length === 0) return log;
  const events = [...log.events, ...fresh].sort((a, b) => a.sequence - b.sequence);
  let last = 0;
  for (const e of events) {
    if (e.sequence !== last + 1) break;
    last = e.sequence;
  }
  const finished = events.some((e) => (TERMINAL_TYPES as readonly string[]).includes(e.type));
  return { events, lastSequence: last, finished };
}

/**
 * The variables to (re)subscribe with: after the last event held in an
 * unbroken run from 1, so a dropped connection loses and repeats nothing.
 */
export function resumeVariables(executionId: string, log: EventLog): { executionId: string; afterSequence?: number } {
  return log.lastSequence > 0 ? { executionId, afterSequence: log.lastSequence } : { executionId };
}

export interface Finding {
  severity: string;
  title: string;
  detail: string;
  data?: Record<string, unknown>;
}

export interface Report {
  summary: string;
  findings: Finding[];
  recommendations: string[];
  metrics: Record<string, unknown>;
}

/** The report of a SUCCEEDED execution, read defensively from its JSON. */
export function readReport(result: unknown): Report | null {
  if (!result || typeof result !== 'object') return null;
  const r = result as Record<string, unknown>;
  const findings = Array.isArray(r.findings)
    ? r.findings.filter((f): f is Record<string, unknown> => !!f && typeof f === 'object').map((f) => ({
        severity: typeof f.severity === 'string' ? f.severity : 'info',
        title: typeof f.title === 'string' ? f.title : 'Finding',
        detail: typeof f.detail === 'string' ? f.detail : '',
        data: f.data && typeof f.data === 'object' ? (f.data as Record<string, unknown>) : undefined,
      }))
    : [];
  const rank = (s: string) => (s === 'critical' ? 0 : s === 'warning' ? 1 : 2);
  findings.sort((a, b) => rank(a.severity) - rank(b.severity));
  return {
    summary: typeof r.summary === 'string' ? r.summary : '',
    findings,
    recommendations: Array.isArray(r.recommendations) ? r.recommendations.filter((x): x is string => typeof x === 'string') : [],
    metrics: r.metrics && typeof r.metrics === 'object' ? (r.metrics as Record<string, unknown>) : {},
  };
}

/** A metric's key as words: "averageRoas" → "Average roas". */
export function metricLabel(key: string): string {
  const s = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]/g, ' ').toLowerCase();
  return (s.charAt(0).toUpperCase() + s.slice(1)).replace(/\broas\b/gi, 'ROAS').replace(/\baov\b/gi, 'AOV');
}
