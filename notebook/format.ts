import { createHash } from 'node:crypto';
import { z } from 'zod';
import { joinSource, TYPESCRIPT_METADATA } from './kernel-metadata.ts';

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

/** nbformat 4.5's cell id pattern. */
const CELL_ID = /^[a-zA-Z0-9-_]{1,64}$/;
const CellBase = {
  id: z.string().regex(CELL_ID, 'cell id must be 1-64 letters, digits, - or _'),
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
export const RawCell = z.object({ ...CellBase, cell_type: z.literal('raw'), attachments: z.record(z.string(), z.unknown()).optional() });
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

// Zod-free, in their own module so the Jupyter kernel's launch does not load zod (kernel-metadata.ts).
export { joinSource, TYPESCRIPT_METADATA };

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

/** A notebook as read, and what reading it changed that the user should be told about. */
export interface LoadedNotebook {
  notebook: Notebook;
  /** One line each, e.g. the nbformat upgrade or a replaced kernelspec; empty for a current Trailbook notebook. */
  notices: string[];
}

/**
 * Parses and validates notebook JSON text, naming what is wrong and where. Reads nbformat 4.0-4.5: an older
 * notebook is upgraded in memory to 4.5 (its cells get deterministic ids, nothing else changes) and
 * saved as 4.5. A foreign kernelspec is replaced by Trailbook's, with a notice.
 */
export function loadNotebook(text: string, name = 'notebook'): LoadedNotebook {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new NotebookFormatError(`${name} is not valid JSON: ${(err as Error).message}`);
  }
  const notices: string[] = [];
  const upgraded = upgradeCellIds(json, notices);
  const result = Notebook.safeParse(upgraded);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new NotebookFormatError(`${name} is not a valid nbformat 4 notebook: ${issues.slice(0, 3).join('; ')}`, issues);
  }
  const notebook = result.data;
  const kernelNotice = foreignKernelNotice(notebook.metadata.kernelspec);
  if (kernelNotice) notices.push(kernelNotice);
  notebook.metadata = { ...notebook.metadata, ...TYPESCRIPT_METADATA };
  return { notebook, notices };
}

/** `loadNotebook` for callers that have nowhere to show notices. */
export const parseNotebook = (text: string, name = 'notebook'): Notebook => loadNotebook(text, name).notebook;

/**
 * nbformat 4.0-4.4 cells have no ids (4.5 requires them). Gives each cell without a valid id one derived
 * from the cells' types and sources and its index, so the same notebook always upgrades to the same ids
 * (wherever it lives, whatever its outputs) and reruns of an un-upgraded file diff cleanly.
 * Anything that is not such a notebook is returned untouched, for the schema to explain.
 */
function upgradeCellIds(json: unknown, notices: string[]): unknown {
  if (!isRecord(json) || json.nbformat !== 4 || typeof json.nbformat_minor !== 'number' || json.nbformat_minor >= 5) return json;
  if (!Array.isArray(json.cells) || !json.cells.every(isRecord)) return json;
  const cells = json.cells as Record<string, unknown>[];
  const digest = createHash('sha256');
  for (const c of cells) digest.update(JSON.stringify([c.cell_type, c.source])).update('\n');
  const prefix = digest.digest('hex').slice(0, 8);
  const used = new Set(cells.map((c) => c.id).filter((id) => typeof id === 'string' && CELL_ID.test(id)));
  let added = 0;
  const upgradedCells = cells.map((cell, index) => {
    if (typeof cell.id === 'string' && CELL_ID.test(cell.id)) return cell;
    let id = `${prefix}-${index}`;
    for (let n = 1; used.has(id); n++) id = `${prefix}-${index}-${n}`;
    used.add(id);
    added++;
    return { ...cell, id };
  });
  notices.push(`upgraded from nbformat 4.${json.nbformat_minor} to 4.5 (${added} cell id${added === 1 ? '' : 's'} added); it is saved as 4.5`);
  return { ...json, nbformat_minor: 5, cells: upgradedCells };
}

/** Why the notebook's kernelspec is being replaced, or undefined when it is Trailbook's (or absent). */
function foreignKernelNotice(spec: unknown): string | undefined {
  if (!isRecord(spec) || spec.name === TYPESCRIPT_METADATA.kernelspec.name) return undefined;
  const name = typeof spec.name === 'string' ? spec.name : String(spec.name);
  const shown = typeof spec.display_name === 'string' && spec.display_name !== name ? `"${name}" (${spec.display_name})` : `"${name}"`;
  const language = typeof spec.language === 'string' ? spec.language.toLowerCase() : undefined;
  const runs = language && !['typescript', 'javascript'].includes(language) ? `; its ${spec.language} code will not run as it is` : '';
  return `kernel ${shown} replaced by "${TYPESCRIPT_METADATA.kernelspec.name}": Trailbook runs every notebook in its TypeScript kernel${runs}`;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

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
 * Always nbformat 4.5 (or newer if read so) and always Trailbook's kernelspec: Trailbook's kernel ran it.
 */
export function serialiseNotebook(nb: Notebook): string {
  const cells = nb.cells.map((cell) => {
    const metadata = Object.fromEntries(Object.entries(cell.metadata).filter(([k]) => !VOLATILE_CELL_METADATA.includes(k)));
    const source = splitLines(joinSource(cell.source));
    if (cell.cell_type === 'code') return { ...cell, metadata, source, outputs: cell.outputs.map(normaliseOutput) };
    return { ...cell, metadata, source };
  });
  const out = { ...nb, nbformat: 4, nbformat_minor: Math.max(5, nb.nbformat_minor), metadata: { ...nb.metadata, ...TYPESCRIPT_METADATA }, cells };
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
