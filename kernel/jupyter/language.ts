import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as TS from 'typescript';
import { cellForTypes } from '../../notebook/sql-cell.ts';

/**
 * `complete_request` and `inspect_request`, answered by the TypeScript language service over what
 * the kernel knows: its prelude's declarations (the same .d.ts the workbench gives Monaco) and the
 * cells run so far, so Tab after `cloudtrail.` lists its methods and a variable from an earlier cell
 * completes with its type. Compiler settings follow the workbench editor (workbench/ui/monaco.ts).
 *
 * Jupyter counts cursor positions in Unicode code points; JavaScript strings in UTF-16 units.
 */

export interface CompleteReply {
  matches: string[];
  cursor_start: number;
  cursor_end: number;
  metadata: { _jupyter_types_experimental: { start: number; end: number; text: string; type: string }[] };
}

export interface InspectReply {
  found: boolean;
  data: Record<string, string>;
}

/** Cells kept for completion: enough for any notebook, bounded for a kernel that runs for weeks. */
const HISTORY_CHARS = 500_000;
/** After `x.` there are few members; at a bare position every global (thousands from the DOM lib) would match. */
const MAX_MATCHES = 500;

const toUtf16 = (text: string, codePoints: number) => [...text].slice(0, codePoints).join('').length;
const toCodePoints = (text: string, utf16: number) => [...text.slice(0, utf16)].length;
const IDENTIFIER_CHAR = /[\p{ID_Continue}$\u200c\u200d]/u;

/** The cells run so far (successfully compiled), newest last; a re-run cell moves to the end. */
export class CellHistory {
  cells: string[] = [];
  /** Characters in `cells`, kept as they change rather than summed on every cell. */
  private chars = 0;

  add(cell: string) {
    // A %%sql cell counts as the declaration of its variable (its SQL is no TypeScript).
    const code = cellForTypes(cell);
    const earlier = this.cells.lastIndexOf(code);
    if (earlier >= 0) {
      this.cells = this.cells.filter((c) => c !== code);
      this.chars = this.cells.reduce((n, c) => n + c.length, 0);
    }
    this.cells.push(code);
    this.chars += code.length;
    while (this.chars > HISTORY_CHARS && this.cells.length > 1) this.chars -= this.cells.shift()!.length;
  }

  /** The kernel restarted: earlier cells' variables are gone. */
  clear() {
    this.cells = [];
    this.chars = 0;
  }
}

export class CellLanguageService {
  private cellText = '';
  private version = 0;
  /** For diagnostics: the cells run so far, one script file each, named by content (so never re-parsed). */
  private ranFiles = new Map<string, string>();
  /** Cell text → its script file's name and text, so a cell is hashed and rewritten once, not on every check. */
  private ranScripts = new Map<string, { name: string; script: string }>();
  private readonly service: TS.LanguageService;
  private readonly cellFile: string;
  private readonly preludeFile: string;

  private constructor(
    private readonly ts: typeof TS,
    preludeTypes: string,
    cwd: string,
    globals: CellGlobals,
  ) {
    // Inside the notebook's directory, so `import … from './helpers.ts'` and packages resolve as in the kernel.
    this.cellFile = join(cwd, '__trailbook_cells__.ts');
    this.preludeFile = join(cwd, '__trailbook_prelude__.d.ts');
    const options: TS.CompilerOptions = {
      target: ts.ScriptTarget.ESNext,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      allowImportingTsExtensions: true,
      allowJs: true,
      strict: false,
      strictNullChecks: true,
      noEmit: true,
      skipLibCheck: true,
      ...globalsOptions(globals),
    };
    const virtual = (file: string) => (file === this.cellFile ? this.cellText : file === this.preludeFile ? preludeTypes : this.ranFiles.get(file));
    // TypeScript asks for every file's snapshot (and package.json scope) on every check, before it looks at
    // the version: read from disk each time, the libs and @types/node cost most of a check. Nothing under
    // node_modules changes while a kernel runs, so those are read once; the notebook's own .ts files
    // are read again when their modification time moves.
    const disk = new DiskCache(ts);
    const host: TS.LanguageServiceHost = {
      getCompilationSettings: () => options,
      getScriptFileNames: () => [this.preludeFile, ...this.ranFiles.keys(), this.cellFile],
      getScriptVersion: (file) => (file === this.cellFile ? String(this.version) : virtual(file) !== undefined ? '0' : disk.version(file)),
      getScriptSnapshot: (file) => {
        const text = virtual(file);
        return text === undefined ? disk.snapshot(file) : ts.ScriptSnapshot.fromString(text);
      },
      getCurrentDirectory: () => cwd,
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      fileExists: (file) => virtual(file) !== undefined || disk.fileExists(file),
      readFile: (file) => virtual(file) ?? disk.readFile(file),
      readDirectory: ts.sys.readDirectory,
      directoryExists: (dir) => disk.directoryExists(dir),
      getDirectories: ts.sys.getDirectories,
    };
    this.service = ts.createLanguageService(host, ts.createDocumentRegistry());
  }

  /** Loads TypeScript (a large module, so only when first asked). */
  static async create(preludeTypes: string, cwd: string, globals: CellGlobals = 'browser'): Promise<CellLanguageService> {
    const ts = (await import('typescript')).default;
    return new CellLanguageService(ts, preludeTypes, cwd, globals);
  }

  /** Puts `code` after the cells run so far; returns the offset of `cursor` (code points) in the file. */
  private load(history: Pick<CellHistory, 'cells'>, code: string, cursor: number): number {
    this.ranFiles = new Map();
    const prefix = history.cells.map((c) => `${c}\n;\n`).join('');
    this.cellText = prefix + code;
    this.version++;
    return prefix.length + toUtf16(code, cursor);
  }

  complete(history: CellHistory, code: string, cursor: number): CompleteReply {
    const position = this.load(history, code, cursor);
    const at = toUtf16(code, cursor);
    let start = at;
    while (start > 0 && IDENTIFIER_CHAR.test(code[start - 1]!)) start--;
    const prefix = code.slice(start, at).toLowerCase();
    const info = this.service.getCompletionsAtPosition(this.cellFile, position, { includeCompletionsWithInsertText: false });
    const entries = (info?.entries ?? [])
      .filter((e) => e.name.toLowerCase().startsWith(prefix) && /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u.test(e.name))
      .sort((a, b) => (a.sortText === b.sortText ? a.name.localeCompare(b.name) : a.sortText < b.sortText ? -1 : 1))
      .slice(0, MAX_MATCHES);
    const cursorStart = toCodePoints(code, start);
    return {
      matches: entries.map((e) => e.name),
      cursor_start: cursorStart,
      cursor_end: cursor,
      metadata: { _jupyter_types_experimental: entries.map((e) => ({ start: cursorStart, end: cursor, text: e.name, type: jupyterType(e.kind) })) },
    };
  }

  /**
   * The type errors of `code` run after the history, as the kernel would run it: positions within `code`.
   * Unlike completion, the cells run before are not put in front of the cell: each is a script file of its
   * own, parsed and bound once, so a check reads only the new cell however long the notebook (the whole
   * file would be checked again on every run). The kernel makes a cell's imports global, so in those
   * files an import becomes a global declaration of the same type.
   */
  diagnostics(history: Pick<CellHistory, 'cells'>, code: string): CellDiagnostic[] {
    const ran = new Map<string, string>();
    const scripts = new Map<string, { name: string; script: string }>();
    for (const cell of history.cells) {
      let file = this.ranScripts.get(cell) ?? scripts.get(cell);
      if (!file) {
        const name = join(dirname(this.cellFile), `__trailbook_ran_${createHash('sha1').update(cell).digest('hex').slice(0, 16)}__.ts`);
        file = { name, script: asGlobalScript(this.ts, cell) };
      }
      scripts.set(cell, file);
      ran.set(file.name, file.script);
    }
    // Only this history's cells are kept: a kernel that runs for weeks does not collect every version of every cell.
    this.ranScripts = scripts;
    this.ranFiles = ran;
    this.cellText = code;
    this.version++;
    const ts = this.ts;
    return this.service
      .getSemanticDiagnostics(this.cellFile)
      .filter((d) => d.start !== undefined && d.category === ts.DiagnosticCategory.Error && !NOTEBOOK_HABITS.has(d.code))
      .map((d) => {
        const offset = d.start!;
        const lineStart = offset === 0 ? 0 : code.lastIndexOf('\n', offset - 1) + 1;
        const line = code.slice(0, lineStart).split('\n').length;
        return { line, column: offset - lineStart + 1, code: d.code, message: ts.flattenDiagnosticMessageText(d.messageText, '\n') };
      });
  }

  inspect(history: CellHistory, code: string, cursor: number): InspectReply {
    const position = this.load(history, code, cursor);
    // The cursor usually sits just after the name (`cloudtrail.lookupEvents|`).
    const info = this.service.getQuickInfoAtPosition(this.cellFile, position) ?? (position > 0 ? this.service.getQuickInfoAtPosition(this.cellFile, position - 1) : undefined);
    if (!info) return { found: false, data: {} };
    const ts = this.ts;
    const signature = ts.displayPartsToString(info.displayParts);
    const docs = ts.displayPartsToString(info.documentation);
    const tags = (info.tags ?? []).map((t) => `@${t.name}${t.text ? ` ${ts.displayPartsToString(t.text)}` : ''}`);
    const text = [signature, docs, ...tags].filter(Boolean).join('\n\n');
    const markdown = ['```typescript', signature, '```', docs, ...tags].filter(Boolean).join('\n');
    return { found: true, data: { 'text/plain': text, 'text/markdown': markdown } };
  }
}

/** Files under node_modules (TypeScript's libs, @types, packages) do not change while a kernel runs. */
const isFixed = (path: string) => path.includes('/node_modules/');

/** The language service's view of the disk: what is under node_modules read once, the rest as it is now. */
class DiskCache {
  private readonly snapshots = new Map<string, { version: string; snapshot: TS.IScriptSnapshot | undefined }>();
  private readonly texts = new Map<string, string | undefined>();
  private readonly files = new Map<string, boolean>();
  private readonly dirs = new Map<string, boolean>();

  constructor(private readonly ts: typeof TS) {}

  private remember<T>(map: Map<string, T>, path: string, read: () => T): T {
    if (!isFixed(path)) return read();
    if (map.has(path)) return map.get(path)!;
    const value = read();
    map.set(path, value);
    return value;
  }

  version(file: string): string {
    return isFixed(file) ? '0' : String(this.ts.sys.getModifiedTime?.(file)?.getTime() ?? 0);
  }

  snapshot(file: string): TS.IScriptSnapshot | undefined {
    const version = this.version(file);
    const known = this.snapshots.get(file);
    if (known?.version === version) return known.snapshot;
    const text = this.ts.sys.readFile(file);
    const snapshot = text === undefined ? undefined : this.ts.ScriptSnapshot.fromString(text);
    this.snapshots.set(file, { version, snapshot });
    return snapshot;
  }

  readFile(file: string): string | undefined {
    return this.remember(this.texts, file, () => this.ts.sys.readFile(file));
  }

  fileExists(file: string): boolean {
    return this.remember(this.files, file, () => this.ts.sys.fileExists(file));
  }

  directoryExists(dir: string): boolean {
    return this.remember(this.dirs, dir, () => this.ts.sys.directoryExists(dir));
  }
}

/**
 * Which globals cells see besides the prelude's: `browser` types them like the workbench editor (lib.dom),
 * `node` like the kernel really runs them (@types/node, no DOM: lib.dom declares `status`, `name`,
 * `origin`… as strings, so a cell's `const status = …` would read as a string). `node` falls back to
 * `browser` when @types/node is not installed.
 */
export type CellGlobals = 'browser' | 'node';

function globalsOptions(globals: CellGlobals): Pick<TS.CompilerOptions, 'lib' | 'types' | 'typeRoots'> {
  if (globals === 'node') {
    try {
      const typeRoot = dirname(dirname(createRequire(import.meta.url).resolve('@types/node/package.json')));
      return { lib: ['lib.esnext.d.ts'], types: ['node'], typeRoots: [typeRoot] };
    } catch {
      // not installed (a production install): the editor's globals are the next best thing
    }
  }
  return { lib: ['lib.esnext.d.ts', 'lib.dom.d.ts'], types: [] };
}

/** A type error in a cell, at a 1-based line and column of the cell (UTF-16 columns). */
export interface CellDiagnostic {
  line: number;
  column: number;
  /** TypeScript's error number (TS2322…). */
  code: number;
  message: string;
}

/**
 * Errors that are notebook habits the kernel accepts (the same list the workbench editor ignores, in
 * workbench/ui/monaco-editor.ts): top-level await in a script, re-declaring a name in a re-run cell,
 * unreachable code; and Node's globals (process, require, Buffer), which the kernel has but this
 * service, typed like the editor, does not declare.
 */
const NOTEBOOK_HABITS = new Set([1375, 1378, 1431, 1432, 2300, 2451, 2393, 1108, 7027, 2403, 2580, 2591, 2592]);

/**
 * A cell the kernel ran, as a script whose top-level names are global, as they are in the kernel:
 * `import { a as b } from 'm'` becomes `declare const b: typeof import('m').a;` (and a type of that name,
 * for imported types), `export` is dropped. Positions do not matter: no diagnostic of this file is shown.
 */
function asGlobalScript(ts: typeof TS, code: string): string {
  const sf = ts.createSourceFile('cell.ts', code, ts.ScriptTarget.ESNext, false, ts.ScriptKind.TS);
  const edits: { start: number; end: number; text: string }[] = [];
  for (const s of sf.statements) {
    if (ts.isImportDeclaration(s) && ts.isStringLiteral(s.moduleSpecifier)) {
      const from = JSON.stringify(s.moduleSpecifier.text);
      const clause = s.importClause;
      const parts: string[] = [];
      if (clause?.name) parts.push(`declare const ${clause.name.text}: typeof import(${from}).default;`);
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) parts.push(`declare const ${bindings.name.text}: typeof import(${from});`);
      else if (bindings) {
        for (const e of bindings.elements) {
          const [local, imported] = [e.name.text, (e.propertyName ?? e.name).text];
          parts.push(`declare const ${local}: typeof import(${from}).${imported}; type ${local} = import(${from}).${imported};`);
        }
      }
      edits.push({ start: s.getStart(sf), end: s.end, text: parts.join(' ') });
    } else if (ts.isImportEqualsDeclaration(s) && ts.isExternalModuleReference(s.moduleReference) && ts.isStringLiteral(s.moduleReference.expression)) {
      edits.push({ start: s.getStart(sf), end: s.end, text: `declare const ${s.name.text}: typeof import(${JSON.stringify(s.moduleReference.expression.text)});` });
    } else if (ts.isExportDeclaration(s) || ts.isExportAssignment(s)) {
      edits.push({ start: s.getStart(sf), end: s.end, text: '' });
    } else {
      const exported = ts.canHaveModifiers(s) ? ts.getModifiers(s)?.find((m) => m.kind === ts.SyntaxKind.ExportKeyword) : undefined;
      if (exported) edits.push({ start: exported.getStart(sf), end: exported.end, text: '' });
    }
  }
  let out = code;
  for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/** The kind names Jupyter front ends know (IPython's), from TypeScript's element kinds. */
function jupyterType(kind: string): string {
  switch (kind) {
    case 'method':
    case 'function':
    case 'local function':
    case 'construct':
    case 'call':
      return 'function';
    case 'property':
    case 'getter':
    case 'setter':
    case 'accessor':
      return 'property';
    case 'class':
    case 'local class':
      return 'class';
    case 'interface':
    case 'type':
    case 'enum':
      return 'type';
    case 'module':
    case 'external module name':
      return 'module';
    case 'keyword':
      return 'keyword';
    default:
      return 'instance';
  }
}
