import { describe, expect, it } from 'vitest';
import { addEvents, emptyLog, metricLabel, readReport, resumeVariables, type ExecutionEvent } from './executionEvents';

const ev = (sequence: number, type = 'LOG'): ExecutionEvent => ({ sequence, type, message: `event ${sequence}`, at: '2026-11-26T09:00:00Z' });

describe('the execution log', () => {
  it('keeps events in order, each once', () => {
    let log = addEvents(emptyLog(), [ev(1, 'QUEUED'), ev(2, 'STARTED')]);
    // A resumed subscription repeats nothing, but a replay might: drop it.
    log = addEvents(log, [ev(2, 'STARTED'), ev(3)]);
    log = addEvents(log, [ev(5), ev(4)]);
    expect(log.events.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(log.lastSequence).toBe(5);
    expect(log.finished).toBe(false);
  });

  it('returns the same log when nothing is new', () => {
    const log = addEvents(emptyLog(), [ev(1)]);
    expect(addEvents(log, [ev(1)])).toBe(log);
  });

  it('resumes after the last event of an unbroken run', () => {
    expect(resumeVariables('E1', emptyLog())).toEqual({ executionId: 'E1' });
    let log = addEvents(emptyLog(), [ev(1), ev(2), ev(4)]);
    // 3 is missing: resume after 2, so 3 comes again and 4 is dropped as a repeat.
    expect(log.lastSequence).toBe(2);
    expect(resumeVariables('E1', log)).toEqual({ executionId: 'E1', afterSequence: 2 });
    log = addEvents(log, [ev(3), ev(4)]);
    expect(log.events.map((e) => e.sequence)).toEqual([1, 2, 3, 4]);
    expect(resumeVariables('E1', log)).toEqual({ executionId: 'E1', afterSequence: 4 });
  });

  it('knows when the last event arrived', () => {
    for (const type of ['SUCCEEDED', 'FAILED', 'CANCELLED']) {
      expect(addEvents(emptyLog(), [ev(1), ev(2, type)]).finished).toBe(true);
    }
  });
});

describe('readReport', () => {
  it('reads the findings, most severe first', () => {
    const report = readReport({
      summary: 'ROAS fell.',
      findings: [
        { severity: 'info', title: 'Days without data', detail: '2 days.' },
        { severity: 'critical', title: 'Ads cost more than they brought in', detail: 'ROAS 0.8.', data: { roas: 0.8 } },
        'not a finding',
      ],
      recommendations: ['Pause the worst campaign.', 3],
      metrics: { averageRoas: 1.2 },
    });
    expect(report?.summary).toBe('ROAS fell.');
    expect(report?.findings.map((f) => f.severity)).toEqual(['critical', 'info']);
    expect(report?.recommendations).toEqual(['Pause the worst campaign.']);
    expect(report?.metrics).toEqual({ averageRoas: 1.2 });
    expect(readReport(null)).toBeNull();
    expect(readReport('x')).toBeNull();
  });

  it('names metrics in words', () => {
    expect(metricLabel('averageRoas')).toBe('Average ROAS');
    expect(metricLabel('stale_deals')).toBe('Stale deals');
  });
});
