import type { Reliability } from './calibration.ts';
import { DAYS, hourOfWeekRows, type ActivityProfile } from './profile.ts';

/** The parts of @observablehq/plot the heatmap uses; pass the module itself (no DOM is touched here). */
export interface PlotModule {
  plot(options: Record<string, unknown>): unknown;
  cell(data: unknown[], options: Record<string, unknown>): unknown;
  text(data: unknown[], options: Record<string, unknown>): unknown;
}

export interface HeatmapOptions {
  title?: string;
  /** Forwarded to Plot.plot, e.g. a linkedom `document` when rendering on the server. */
  document?: unknown;
  width?: number;
  labels?: boolean;
  /** A colour legend needs a canvas, which server-side DOMs such as linkedom lack; off by default. */
  legend?: boolean;
}

/** Plain Plot options for an hour-of-week heatmap; `marks` is filled by `hourOfWeekHeatmap`. */
export function hourOfWeekSpec(profile: Pick<ActivityProfile, 'principal' | 'hourOfWeek'>, opts: HeatmapOptions = {}) {
  const data = hourOfWeekRows(profile);
  return {
    data,
    options: {
      title: opts.title ?? `Activity of ${profile.principal} by hour of week (UTC)`,
      width: opts.width ?? 760,
      height: 260,
      padding: 0.05,
      x: { label: 'Hour (UTC)', domain: Array.from({ length: 24 }, (_, h) => h) },
      y: { label: null, domain: [...DAYS] },
      color: { type: 'sqrt', scheme: 'blues', legend: opts.legend ?? false, label: 'Events' },
    },
  };
}

/** An Observable Plot figure: one cell per (day, hour), coloured by event count. */
export function hourOfWeekHeatmap(Plot: PlotModule, profile: Pick<ActivityProfile, 'principal' | 'hourOfWeek'>, opts: HeatmapOptions = {}): unknown {
  const { data, options } = hourOfWeekSpec(profile, opts);
  const marks: unknown[] = [Plot.cell(data, { x: 'hour', y: 'day', fill: 'events', inset: 0.5, tip: true })];
  if (opts.labels ?? true) marks.push(Plot.text(data.filter((d) => d.events > 0), { x: 'hour', y: 'day', text: 'events', fill: 'black', fontSize: 9 }));
  return Plot.plot({ ...options, marks, ...(opts.document ? { document: opts.document } : {}) });
}

/** The parts of @observablehq/plot the reliability diagram uses. */
export interface ReliabilityPlotModule {
  plot(options: Record<string, unknown>): unknown;
  line(data: unknown[], options: Record<string, unknown>): unknown;
  dot(data: unknown[], options: Record<string, unknown>): unknown;
}

/**
 * A reliability diagram: each bin's mean predicted probability against how often the prediction came true, dots
 * sized by the number of predictions; on the dashed diagonal the probabilities mean exactly what they say.
 */
export function reliabilityPlot(Plot: ReliabilityPlotModule, r: Pick<Reliability, 'bins' | 'ece'>, opts: { title?: string; width?: number; document?: unknown } = {}): unknown {
  return Plot.plot({
    title: opts.title ?? `Reliability (expected calibration error ${r.ece})`,
    width: opts.width ?? 420,
    height: opts.width ?? 420,
    x: { label: 'predicted probability', domain: [0, 1], grid: true },
    y: { label: 'observed frequency', domain: [0, 1], grid: true },
    r: { range: [2, 12] },
    marks: [
      Plot.line([[0, 0], [1, 1]], { stroke: '#999', strokeDasharray: '4,3' }),
      Plot.line(r.bins, { x: 'meanPredicted', y: 'observed', stroke: 'steelblue' }),
      Plot.dot(r.bins, { x: 'meanPredicted', y: 'observed', r: 'predictions', fill: 'steelblue', tip: true }),
    ],
    ...(opts.document ? { document: opts.document } : {}),
  });
}
