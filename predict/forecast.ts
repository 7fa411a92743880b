import { DAY, HOUR, serviceOf, WEEK } from './corpus.ts';
import type { ActivityProfile } from './profile.ts';

/** What a principal will likely do over the next hour or day, from its hour-of-week profile and rates. */
export interface Forecast {
  principal: string;
  from: string;
  to: string;
  /** Expected number of events in the horizon. */
  expectedEvents: number;
  /** Probability of at least one event (Poisson with the expected count). */
  pActive: number;
  /** Weeks of history the rates are averaged over. */
  weeksObserved: number;
  services: { service: string; expectedEvents: number; share: number }[];
  apis: { action: string; expectedEvents: number; share: number }[];
}

export interface ForecastOptions {
  /** Start of the horizon (epoch ms); defaults to the hour after the principal's last event. */
  at?: number;
  horizon?: 'hour' | 'day';
  top?: number;
}

/**
 * Rate per hour-of-week slot = events in that slot / weeks observed (at least one). Slots never seen still get a
 * small share of the principal's average hourly rate, so a quiet hour is unlikely, not impossible.
 */
export function forecast(profile: ActivityProfile, opts: ForecastOptions = {}): Forecast {
  const horizonMs = opts.horizon === 'day' ? DAY : HOUR;
  const from = opts.at ?? Math.ceil((profile.lastSeenMs + 1) / HOUR) * HOUR;
  const to = from + horizonMs;
  const span = profile.lastSeenMs - profile.firstSeenMs;
  const weeks = Math.max(1, span / WEEK);
  const meanHourly = profile.events / Math.max(1, weeks * 168);
  let expected = 0;
  for (let t = from; t < to; t += HOUR) {
    const d = new Date(t);
    const slot = profile.hourOfWeek[d.getUTCDay()][d.getUTCHours()] / weeks;
    // Mix in 5% of the flat rate: hour-of-week counts from a few weeks are noisy.
    const frac = Math.min(HOUR, to - t) / HOUR;
    expected += frac * (0.95 * slot + 0.05 * meanHourly);
  }
  const top = opts.top ?? 10;
  const total = profile.events;
  const apis = Object.entries(profile.actions)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, top)
    .map(([action, c]) => ({ action, share: round(c / total), expectedEvents: round((expected * c) / total) }));
  const services = profile.services
    .slice(0, top)
    .map(({ value, count }) => ({ service: serviceOf(value), share: round(count / total), expectedEvents: round((expected * count) / total) }));
  return {
    principal: profile.principal,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    expectedEvents: round(expected),
    pActive: round(1 - Math.exp(-expected)),
    weeksObserved: round(weeks),
    services,
    apis,
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
