import { z } from 'zod';

/**
 * nbformat 4.5, the shape Jupyter writes. Shared by the workbench (open/save), the headless
 * runner and the share page, so every part reads and writes notebooks the same way.
 */

const MultilineString = z.union([z.string(), z.array(z.string())]);
const MimeBundle = z.record(z.string(), z.unknown());

export const StreamOutput = z.object({
  output_type: z.literal('stream'),
  name: z.enum(['stdout', 'stderr']),
  text: MultilineString,
});
export const DisplayDataOutput = z.object({
  output_type: z.literal('display_data'),
  data: MimeBundle,
  metadata: z.record(z.string(), z.unknown()).default({}),
});
export const ExecuteResultOutput = z.object({
  output_type: z.literal('execute_result'),
  execution_count: z.number().int().nullable(),
  data: MimeBundle,
  metadata: z.record(z.string(), z.unknown()).default({}),
});
export const ErrorOutput = z.object({
  output_type: z.literal('error'),
  ename: z.string(),
  evalue: z.string(),
  traceback: z.array(z.string()),
});
export const Output = z.discriminatedUnion('output_type', [StreamOutput, DisplayDataOutput, ExecuteResultOutput, ErrorOutput]);
export type Output = z.infer<typeof Output>;

const CellBase = {
  id: z.string().regex(/^[a-zA-Z0-9-_]{1,64}$/, 'cell id must be 1-64 letters, digits, - or _'),
  source: MultilineString,
  metadata: z.record(z.string(), z.unknown()).default({}),
};
export const CodeCell = z.object({
  ...CellBase,
  cell_type: z.literal('code'),
  execution_count: z.number().int().nullable().default(null),
  outputs: z.array(Output).default([]),
});
export const MarkdownCell = z.object({ ...CellBase, cell_type: z.literal('markdown'), attachments: z.record(z.string(), z.unknown()).optional() });
export const RawCell = z.object({ ...CellBase, cell_type: z.literal('raw') });
export const Cell = z.discriminatedUnion('cell_type', [CodeCell, MarkdownCell, RawCell]);
export type Cell = z.infer<typeof Cell>;
export type CodeCell = z.infer<typeof CodeCell>;

export const Notebook = z.object({
  nbformat: z.literal(4),
  nbformat_minor: z.number().int().min(0),
  metadata: z.record(z.string(), z.unknown()).default({}),
  cells: z.array(Cell),
});
export type Notebook = z.infer<typeof Notebook>;

export const TYPESCRIPT_METADATA = {
  kernelspec: { name: 'trailbook-typescript', display_name: 'TypeScript (Trailbook)', language: 'typescript' },
  language_info: { name: 'typescript', file_extension: '.ts', mimetype: 'text/typescript', version: '6.0' },
} as const;

/** Joins nbformat's "string or list of lines" into one string. */
export const joinSource = (s: string | string[]): string => (Array.isArray(s) ? s.join('') : s);

/** Splits text into nbformat's line array (each line keeps its newline, as Jupyter writes it). */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

export class NotebookFormatError extends Error {
  constructor(message: string, readonly issues: string[] = []) {
    super(message);
  }
}

/** Parses and validates notebook JSON text, naming what is wrong and where. */
export function parseNotebook(text: string, name = 'notebook'): Notebook {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new NotebookFormatError(`${name} is not valid JSON: ${(err as Error).message}`);
  }
  const result = Notebook.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new NotebookFormatError(`${name} is not a valid nbformat 4 notebook: ${issues.slice(0, 3).join('; ')}`, issues);
  }
  return result.data;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** Metadata that changes on every run and would make git diffs noisy. */
const VOLATILE_CELL_METADATA = ['execution', 'collapsed', 'scrolled'];

function normaliseOutput(o: Output): Output {
  if (o.output_type === 'stream') return { ...o, text: splitLines(joinSource(o.text)) };
  if (o.output_type === 'error') return o;
  const data = Object.fromEntries(
    Object.entries(o.data).map(([mime, v]) => [mime, typeof v === 'string' && !mime.includes('json') ? splitLines(v) : v]),
  );
  return { ...o, data };
}

/**
 * Deterministic serialisation: stable key order, sources as line arrays, one-space indent and a
 * trailing newline (as Jupyter writes), no volatile metadata, so saving twice gives the same bytes.
 */
export function serialiseNotebook(nb: Notebook): string {
  const cells = nb.cells.map((cell) => {
    const metadata = Object.fromEntries(Object.entries(cell.metadata).filter(([k]) => !VOLATILE_CELL_METADATA.includes(k)));
    const source = splitLines(joinSource(cell.source));
    if (cell.cell_type === 'code') return { ...cell, metadata, source, outputs: cell.outputs.map(normaliseOutput) };
    return { ...cell, metadata, source };
  });
  const out = { ...nb, nbformat: 4, nbformat_minor: Math.max(5, nb.nbformat_minor), metadata: { ...TYPESCRIPT_METADATA, ...nb.metadata }, cells };
  return JSON.stringify(sortKeys(out), null, 1) + '\n';
}

export function newCellId(): string {
  return crypto.randomUUID().replace(/-/g, '').slice(0, 12);
}

export function emptyNotebook(): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { ...TYPESCRIPT_METADATA },
    cells: [{ id: newCellId(), cell_type: 'code', source: '', metadata: {}, execution_count: null, outputs: [] }],
  };
}
