import { describe, expect, it } from 'vitest';
import { ArgumentError, parseTime, readTime, timeProblem, timeValue } from '../../cloudtrail/time.ts';

const NOW = Date.parse('2026-03-15T12:00:00Z');

describe('time arguments', () => {
  it.each([
    ['2026-02-28', '2026-02-28T00:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['2000-02-29T23:59:59Z', '2000-02-29T23:59:59.000Z'],
    ['2026-12-31T23:59', '2026-12-31T23:59:00.000Z'],
    ['2026-05-01 08:30:15', '2026-05-01T08:30:15.000Z'],
    ['2026-05-01T08:30:15.123456789Z', '2026-05-01T08:30:15.123Z'],
    ['2026-05-01T08:30:15.5+02:00', '2026-05-01T06:30:15.500Z'],
    ['2026-05-01T01:00:00-0530', '2026-05-01T06:30:00.000Z'],
    ['0099-01-01', '0099-01-01T00:00:00.000Z'],
    ['  2026-01-01  ', '2026-01-01T00:00:00.000Z'],
  ])('reads %s as %s', (text, expected) => {
    expect(new Date(parseTime(text, NOW)!).toISOString()).toBe(expected);
  });

  it('reads now and relative offsets back from now', () => {
    expect(parseTime('now', NOW)).toBe(NOW);
    expect(parseTime('-90s', NOW)).toBe(NOW - 90_000);
    expect(parseTime('-1.5h', NOW)).toBe(NOW - 5_400_000);
    expect(parseTime('-7d', NOW)).toBe(NOW - 7 * 86_400_000);
    expect(parseTime('-2W', NOW)).toBe(NOW - 14 * 86_400_000);
  });

  it.each([
    ['2026-02-30', 'February 2026 has 28 days'],
    ['2026-02-29', 'February 2026 has 28 days'],
    ['1900-02-29', 'February 1900 has 28 days'],
    ['2026-04-31T10:00:00Z', 'April 2026 has 30 days'],
    ['2026-01-00', 'January 2026 has 31 days'],
    ['2026-13-01', 'month 13 is not 01-12'],
    ['2026-00-10', 'month 00 is not 01-12'],
    ['2026-01-01T24:00:00Z', 'hour 24 is not 00-23'],
    ['2026-01-01T23:60', 'minute 60 is not 00-59'],
    ['2026-06-30T23:59:60Z', 'second 60 is not 00-59'],
    ['2026-01-01T10:00:00+24:00', 'zone offset +24:00 is not a valid offset'],
  ])('rejects the impossible date %s (%s) instead of rolling it over', (text, detail) => {
    expect(parseTime(text, NOW)).toBeUndefined();
    expect(readTime(text, NOW)).toEqual({ ok: false, problem: 'invalid-date', detail });
    expect(timeProblem('startTime', text, NOW)).toBe(`startTime: ${text} is not a valid date (${detail})`);
  });

  it('tells text that is no time at all from an impossible one, and refuses times outside the Date range', () => {
    expect(timeProblem('start_time', 'yesterday', NOW)).toMatch(/^start_time "yesterday" is not a time: use ISO 8601/);
    expect(timeProblem('start_time', '2026-1-5', NOW)).toMatch(/is not a time/);
    expect(timeProblem('end_time', '-99999999999w', NOW)).toBe('end_time: -99999999999w is outside the range of dates');
    expect(timeProblem('end_time', '2026-01-01', NOW)).toBeUndefined();
  });

  it('checks numbers and Dates too, naming the argument', () => {
    expect(timeValue('at', NOW, 0)).toBe(NOW);
    expect(timeValue('at', new Date(NOW), 0)).toBe(NOW);
    expect(timeValue('at', '-1h', NOW)).toBe(NOW - 3_600_000);
    expect(() => timeValue('at', new Date('2026-02-30x'), NOW)).toThrow(new ArgumentError('at: Invalid Date is not a valid date'));
    expect(() => timeValue('at', Number.NaN, NOW)).toThrow('at: NaN is not a valid date');
    expect(() => timeValue('startTime', '2026-02-30', NOW)).toThrow('startTime: 2026-02-30 is not a valid date (February 2026 has 28 days)');
  });
});
