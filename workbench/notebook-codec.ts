import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { z } from 'zod';
import { loadNotebook, Notebook, NotebookFormatError, parseNotebook, serialiseNotebook } from '../notebook/format.ts';

/**
 * The CPU-heavy half of the notebook store: read a file, parse and validate it with the shared schema,
 * and produce what is sent or written (response JSON, report HTML, serialised notebook). These run in
 * a worker thread (notebook-worker.ts), so a 90 MB notebook never stalls the event loop that answers
 * /healthcheck and every other request. Pure functions of their input: testable without a worker.
 */

/** Version = content hash: it changes whenever the bytes change, whoever wrote them. */
export const versionOf = (bytes: string | Uint8Array): string => createHash('sha256').update(bytes).digest('hex').slice(0, 20);

/** A save request: the notebook and the version the client loaded (null for a notebook it created). */
export const SaveBody = z.object({ notebook: Notebook, version: z.string().nullable() });

const ID = /^[A-Za-z0-9-]{8,64}$/;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The notebook's stable id (metadata.trailbook.id), which share links point at; undefined if it has none yet. */
export function notebookIdOf(nb: Notebook): string | undefined {
  const t = nb.metadata.trailbook;
  return isRecord(t) && typeof t.id === 'string' && ID.test(t.id) ? t.id : undefined;
}

export function withNotebookId(nb: Notebook, id: string): Notebook {
  const t = nb.metadata.trailbook;
  return { ...nb, metadata: { ...nb.metadata, trailbook: { ...(isRecord(t) ? t : {}), id } } };
}

export interface ReportOptions {
  exported: boolean;
  expiresAt: number | null;
}

export type InspectJob = {
  op: 'inspect';
  path: string;
  /** Shown in parse errors and the report title. */
  name: string;
  maxBytes: number;
  /** What to produce besides validity and id: nothing, the parsed object, the API response body, or the share report. */
  output: 'none' | 'object' | 'body' | 'report';
  report?: ReportOptions;
};
export type EncodeJob = {
  op: 'encode';
  name: string;
  /** The id written into metadata.trailbook.id (the caller owns ids: the file's own, or a new one). */
  id: string;
  /** body: a save request (`{ notebook, version }`); upload: a notebook file as sent; file: one on disk. */
  source: { kind: 'body'; bytes: Uint8Array } | { kind: 'upload'; bytes: Uint8Array } | { kind: 'file'; path: string; maxBytes: number };
};
export type WorkerJob = InspectJob | EncodeJob;

export type InspectResult =
  | { status: 'missing' }
  | { status: 'tooLarge'; size: number }
  | { status: 'invalid'; size: number; version: string; message: string; issues: string[] }
  | { status: 'ok'; size: number; version: string; id?: string; notebook?: Notebook; payload?: Uint8Array; notices?: string[] };

export type EncodeResult =
  | { status: 'missing' }
  | { status: 'tooLarge'; size: number }
  | { status: 'invalid'; message: string; issues: string[]; badRequest: boolean }
  | { status: 'ok'; bytes: Uint8Array; version: string; baseVersion: string | null; notices?: string[] };

/** Reads a file only after checking its size (a file over the limit is never read, let alone parsed). */
async function readLimited(path: string, maxBytes: number): Promise<{ status: 'missing' } | { status: 'tooLarge'; size: number } | { status: 'read'; bytes: Buffer }> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
    throw err;
  }
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) return { status: 'tooLarge', size };
    const bytes = await handle.readFile();
    // Grown past the limit between stat and read: still refused.
    return bytes.length > maxBytes ? { status: 'tooLarge', size: bytes.length } : { status: 'read', bytes };
  } finally {
    await handle.close();
  }
}

const encoder = new TextEncoder();

export async function inspect(job: InspectJob): Promise<InspectResult> {
  const read = await readLimited(job.path, job.maxBytes);
  if (read.status !== 'read') return read;
  const size = read.bytes.length;
  const version = versionOf(read.bytes);
  let notebook: Notebook;
  let notices: string[];
  try {
    ({ notebook, notices } = loadNotebook(read.bytes.toString('utf8'), job.name));
  } catch (err) {
    if (!(err instanceof NotebookFormatError)) throw err;
    return { status: 'invalid', size, version, message: err.message, issues: err.issues.slice(0, 20) };
  }
  const result: InspectResult = { status: 'ok', size, version, id: notebookIdOf(notebook) };
  if (job.output === 'object') {
    result.notebook = notebook;
    result.notices = notices;
  } else if (job.output === 'body') result.payload = encoder.encode(JSON.stringify({ name: job.name, version, notebook, notices }));
  else if (job.output === 'report') {
    const { renderReport } = await import('./report.ts');
    result.payload = encoder.encode(renderReport(job.name, notebook, job.report ?? { exported: false, expiresAt: null }));
  }
  return result;
}

export async function encode(job: EncodeJob): Promise<EncodeResult> {
  let notebook: Notebook;
  let baseVersion: string | null = null;
  let notices: string[] | undefined;
  if (job.source.kind === 'upload') {
    try {
      ({ notebook, notices } = loadNotebook(Buffer.from(job.source.bytes.buffer, job.source.bytes.byteOffset, job.source.bytes.byteLength).toString('utf8'), job.name));
    } catch (err) {
      if (!(err instanceof NotebookFormatError)) throw err;
      return { status: 'invalid', message: err.message, issues: err.issues.slice(0, 20), badRequest: true };
    }
  } else if (job.source.kind === 'body') {
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(job.source.bytes.buffer, job.source.bytes.byteOffset, job.source.bytes.byteLength).toString('utf8'));
    } catch {
      return { status: 'invalid', message: 'request body is not valid JSON', issues: [], badRequest: true };
    }
    const parsed = SaveBody.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
      return { status: 'invalid', message: `invalid request: ${issues.slice(0, 3).join('; ')}`, issues: issues.slice(0, 20), badRequest: true };
    }
    notebook = parsed.data.notebook;
    baseVersion = parsed.data.version;
  } else {
    const read = await readLimited(job.source.path, job.source.maxBytes);
    if (read.status !== 'read') return read;
    try {
      notebook = parseNotebook(read.bytes.toString('utf8'), job.name);
    } catch (err) {
      if (!(err instanceof NotebookFormatError)) throw err;
      return { status: 'invalid', message: err.message, issues: err.issues.slice(0, 20), badRequest: false };
    }
  }
  const bytes = encoder.encode(serialiseNotebook(withNotebookId(notebook, job.id)));
  return { status: 'ok', bytes, version: versionOf(bytes), baseVersion, ...(notices ? { notices } : {}) };
}

/** Runs one job (in the worker). */
export function runJob(job: WorkerJob): Promise<InspectResult | EncodeResult> {
  return job.op === 'inspect' ? inspect(job) : encode(job);
}
