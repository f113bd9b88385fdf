import { describe, expect, it } from 'vitest';
import { ago, change, count, day, duration, lastDays, money, percent, platformName, ratio, stageName, words } from './format';

describe('format', () => {
  it('formats money, counts, ratios and shares', () => {
    expect(money(1234.5, 'USD')).toBe('$1,235');
    expect(money(12.5, 'USD')).toBe('$12.50');
    expect(money(1234.5, 'EUR', { cents: true })).toBe('€1,234.50');
    expect(count(12345)).toBe('12,345');
    expect(ratio(3.456)).toBe('3.46×');
    expect(percent(0.125)).toBe('12.5%');
  });

  it('compares with the previous period', () => {
    expect(change(110, 100)).toEqual({ ratio: 0.1, label: '+10.0%', direction: 'up' });
    expect(change(75, 100).label).toBe('−25.0%');
    expect(change(75, 100).direction).toBe('down');
    expect(change(0, 0)).toEqual({ ratio: 0, label: 'no change', direction: 'flat' });
    expect(change(50, 0)).toEqual({ ratio: null, label: 'new', direction: 'up' });
    expect(change(100.00001, 100).direction).toBe('flat');
  });

  it('formats days, durations and ages', () => {
    expect(day('2026-11-26')).toBe('Nov 26');
    expect(day('2026-11-26', true)).toBe('Nov 26, 2026');
    expect(duration('2026-11-26T09:00:00Z', '2026-11-26T09:00:01.500Z')).toBe('1.5 s');
    expect(duration('2026-11-26T09:00:00Z', '2026-11-26T09:02:05Z')).toBe('2 min 5 s');
    expect(duration(null, '2026-11-26T09:00:00Z')).toBe('—');
    const now = Date.parse('2026-11-26T12:00:00Z');
    expect(ago('2026-11-26T11:59:50Z', now)).toBe('just now');
    expect(ago('2026-11-26T11:50:00Z', now)).toBe('10 min ago');
    expect(ago('2026-11-26T09:00:00Z', now)).toBe('3 h ago');
    expect(ago(null, now)).toBe('never');
  });

  it('picks the last n full days, ending yesterday', () => {
    expect(lastDays(7, new Date('2026-11-26T15:00:00Z'))).toEqual({ from: '2026-11-19', to: '2026-11-25' });
    expect(lastDays(1, new Date('2026-03-01T00:30:00Z'))).toEqual({ from: '2026-02-28', to: '2026-02-28' });
  });

  it('names platforms, stages and enum values', () => {
    expect(platformName('TRIPLE_WHALE')).toBe('Triple Whale');
    expect(stageName('closedwon')).toBe('Closed won');
    expect(stageName('custom_stage')).toBe('Custom stage');
    expect(words('READ_WRITE')).toBe('Read write');
  });
});
