import type { PreludeModule } from './types.ts';

/**
 * `Plot`: Observable Plot rendering in the kernel, with linkedom as the DOM. Every entry point that
 * builds DOM (plot, legend, mark.plot()) gets linkedom's `document` unless the caller passes one, so
 * the figure's outerHTML (SVG, or a <figure> when there is a legend or title) is the output.
 */
export async function loadPlot(): Promise<unknown> {
  const [PlotModule, { parseHTML }] = await Promise.all([import('@observablehq/plot'), import('linkedom')]);
  const { document } = parseHTML('<!DOCTYPE html><html><head></head><body></body></html>');
  const withDocument = (options: Record<string, unknown> = {}) => ({ document, ...options });

  const plot = (options?: Record<string, unknown>) => PlotModule.plot(withDocument(options) as never);
  const legend = (options?: Record<string, unknown>) => PlotModule.legend(withDocument(options) as never);
  // Marks' own .plot() calls the module's plot without a document: route it through ours.
  const markProto = PlotModule.Mark.prototype as unknown as { plot(options?: Record<string, unknown>): unknown };
  markProto.plot = function (this: unknown, { marks = [], ...options }: Record<string, unknown> = {}) {
    return plot({ ...options, marks: [...(marks as unknown[]), this] });
  };
  return Object.freeze({ ...PlotModule, plot, legend, document });
}

export const plotPrelude: PreludeModule = {
  name: 'plot',
  globals: { Plot: { load: loadPlot } },
  types: `
/** Observable Plot (https://observablehq.com/plot/). Figures render to SVG in the kernel; return or display() one to show it. */
declare const Plot: {
  /** A figure from marks and scale options, e.g. Plot.plot({ marks: [Plot.barY(rows, { x: 'name', y: 'count' })] }). */
  plot(options: PlotOptions): PlotFigure;
  /** A standalone legend for a color or symbol scale. */
  legend(options: Record<string, unknown>): PlotFigure;
  /** Marks (dot, line, barY, areaY, rect, text, ruleY…) and transforms (groupX, binX, stackY…) of Observable Plot. */
  [mark: string]: any;
};
interface PlotOptions {
  marks?: unknown[];
  width?: number; height?: number; margin?: number; marginLeft?: number; marginRight?: number; marginTop?: number; marginBottom?: number;
  title?: string; subtitle?: string; caption?: string;
  x?: Record<string, unknown>; y?: Record<string, unknown>; color?: Record<string, unknown> & { legend?: boolean };
  fx?: Record<string, unknown>; fy?: Record<string, unknown>; facet?: Record<string, unknown>;
  grid?: boolean; style?: string | Record<string, unknown>;
  [option: string]: unknown;
}
interface PlotFigure { outerHTML: string; }
`,
};
