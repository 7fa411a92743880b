import { transform, type TransformFailure } from 'esbuild';
import { parse } from 'acorn';
import { SourceMap } from 'node:module';
import { parseSqlCell, SqlCellHeaderError, type SqlCell } from '../../notebook/sql-cell.ts';

/**
 * Turns one TypeScript cell into a script for `vm.runInThisContext` that behaves like a REPL:
 * top-level declarations become global bindings (so they persist and can be re-declared),
 * `import` becomes a dynamic import through the kernel, the whole cell runs in an async
 * function (top-level await) and the last expression is returned as the cell's result.
 *
 * Every rewrite is recorded as an edit so a position in the generated script maps back to the
 * transpiled JavaScript, and esbuild's source map takes it from there to the cell's TypeScript.
 */

/** The kernel runtime object the generated code calls (see runtime.ts). */
export const RUNTIME = '__trailbook';
const WRAPPER_END = '\n})()';
const LOOPS = new Set(['ForStatement', 'ForInStatement', 'ForOfStatement', 'WhileStatement', 'DoWhileStatement']);

export interface CompiledCell {
  filename: string;
  script: string;
  /** Every identifier the cell mentions: used to load lazy prelude globals before it runs. */
  identifiers: Set<string>;
  locate(line: number, column: number): { line: number; column: number } | undefined;
}

export class CellSyntaxError extends Error {
  override name = 'SyntaxError';
  constructor(
    message: string,
    readonly filename: string,
    readonly line: number,
    readonly column: number,
    readonly lineText: string,
  ) {
    super(message);
  }
}

interface Edit {
  start: number;
  end: number;
  text: string;
  /** Closes something opened earlier (`)`, `}`, `;`): at one position, inner closers go before outer ones. */
  close?: boolean;
}

// acorn's node types are a union too wide to narrow cheaply; the walker treats nodes structurally.
type AnyNode = { type: string; start: number; end: number; [key: string]: any };

export async function compileCell(code: string, filename: string): Promise<CompiledCell> {
  let sqlCell: SqlCell | undefined;
  try {
    sqlCell = parseSqlCell(code);
  } catch (err) {
    if (!(err instanceof SqlCellHeaderError)) throw err;
    throw new CellSyntaxError(err.message, filename, 1, err.column, code.split('\n')[0]!);
  }
  if (sqlCell && !sqlCell.body.trim()) throw new CellSyntaxError('this %%sql cell has no SQL: write one SELECT on the lines after %%sql', filename, 1, 1, code.split('\n')[0]!);
  if (sqlCell) code = sqlCellScript(sqlCell);
  let js: string;
  let map: string;
  try {
    const result = await transform(code, {
      loader: 'ts',
      sourcefile: filename,
      sourcemap: 'external',
      target: 'node20',
      // Keep every value import (a name imported in one cell is often used only in a later one).
      tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
    });
    js = result.code;
    map = result.map;
  } catch (err) {
    const first = (err as TransformFailure).errors?.[0];
    if (!first) throw err;
    const loc = first.location;
    throw new CellSyntaxError(first.text, filename, loc?.line ?? 1, (loc?.column ?? 0) + 1, loc?.lineText ?? '');
  }

  let program: AnyNode;
  try {
    program = parse(js, { ecmaVersion: 'latest', sourceType: 'module', allowAwaitOutsideFunction: true }) as unknown as AnyNode;
  } catch (err) {
    // esbuild accepted it, so this is rare (e.g. a construct only valid in scripts); report it plainly.
    throw new CellSyntaxError((err as Error).message, filename, 1, 1, '');
  }

  // The wrapper comes first so it is the outermost opener; its text is known at the end. Its closer is
  // appended after the edits: in an empty cell (whitespace or comments only) both sit at offset 0, where
  // closers sort first and would come out as `})()(async () => {`.
  const wrapperOpen: Edit = { start: 0, end: 0, text: '' };
  const edits: Edit[] = [wrapperOpen];
  const declared = new Set<string>();
  const functionNames: string[] = [];
  const identifiers = new Set<string>();
  const insert = (at: number, text: string) => edits.push({ start: at, end: at, text });
  const close = (at: number, text: string) => edits.push({ start: at, end: at, text, close: true });
  const body: AnyNode[] = program.body;

  body.forEach((statement, index) => {
    let node = statement;
    if (node.type === 'ExportNamedDeclaration' || node.type === 'ExportDefaultDeclaration') {
      if (!node.declaration) {
        edits.push({ start: node.start, end: node.end, text: '' });
        return;
      }
      edits.push({ start: node.start, end: node.declaration.start, text: '' });
      node = node.declaration;
    } else if (node.type === 'ExportAllDeclaration') {
      edits.push({ start: node.start, end: node.end, text: '' });
      return;
    }
    switch (node.type) {
      case 'VariableDeclaration':
        rewriteVariables(js, node, edits, declared);
        return;
      case 'FunctionDeclaration':
        if (node.id) {
          declared.add(node.id.name);
          functionNames.push(node.id.name);
        }
        return;
      case 'ClassDeclaration':
        if (node.id) {
          declared.add(node.id.name);
          insert(node.start, `;${node.id.name} = `);
          close(node.end, ';');
        }
        return;
      case 'ImportDeclaration':
        edits.push({ start: node.start, end: node.end, text: rewriteImport(node, index, declared) });
        return;
      case 'ExpressionStatement':
        if (index === body.length - 1) {
          // The statement's range includes parentheses acorn leaves out of the expression's: `({ a: 1 })`.
          insert(node.start, 'return (');
          close(js[node.end - 1] === ';' ? node.end - 1 : node.end, ')');
        }
        return;
    }
  });

  walk(program, (node) => {
    if (node.type === 'Identifier') identifiers.add(node.name);
    else if (node.type === 'ImportExpression') edits.push({ start: node.start, end: node.start + 6, text: `${RUNTIME}.import` });
    else if (node.type === 'MetaProperty' && node.meta.name === 'import') edits.push({ start: node.start, end: node.end, text: `${RUNTIME}.importMeta` });
    else if (node.type === 'AwaitExpression') {
      // Lets an interrupt stop an async loop at its next await while keeping the kernel's state.
      insert(node.start, `${RUNTIME}.check(`);
      close(node.end, ')');
    } else if (LOOPS.has(node.type) && !(node.type === 'ForStatement' && node.test)) {
      // Lets an interrupt stop a synchronous loop that runs after an await (where breakOnSigint cannot
      // reach). The check costs a few ns per iteration, so counted `for (…; i < n; …)` loops, the hot
      // numeric ones and rarely endless, are left alone (SIGINT, or kill and restart, still stop them).
      const loopBody: AnyNode = node.body;
      if (loopBody.type === 'BlockStatement') insert(loopBody.start + 1, `${RUNTIME}.tick();`);
      else {
        insert(loopBody.start, `{${RUNTIME}.tick(); `);
        close(loopBody.end, '}');
      }
    }
  });

  const hoisted = declared.size ? `var ${[...declared].join(', ')}; ` : '';
  const publish = functionNames.map((n) => `globalThis[${JSON.stringify(n)}] = ${n};`).join(' ');
  wrapperOpen.text = `${hoisted}(async () => {${publish} `;
  const edited = applyEdits(js, edits);
  const output = edited.output + WRAPPER_END;
  const segments = edited.segments;

  const sourceMap = new SourceMap(JSON.parse(map));
  const outputLines = lineStarts(output);
  const jsLines = lineStarts(js);
  return {
    filename,
    script: output,
    identifiers,
    locate(line, column) {
      const outOffset = (outputLines[line - 1] ?? 0) + column - 1;
      // The wrapper's own call (`})()`) is not in the cell.
      if (outOffset >= output.length - WRAPPER_END.length) return undefined;
      const jsOffset = mapOffset(segments, outOffset);
      const jsLine = findLine(jsLines, jsOffset);
      const entry = sourceMap.findEntry(jsLine, jsOffset - jsLines[jsLine]!) as { originalLine?: number; originalColumn?: number };
      if (entry?.originalLine === undefined) return undefined;
      return { line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1 };
    },
  };
}

/**
 * A `%%sql` cell as TypeScript: its SQL becomes the text of the kernel's `sql` tag (so `${}` values are bound
 * as parameters there too) and its rows the named variable and the cell's result. The SQL starts on line 2 of
 * the template as it does in the cell, so the engine's "line L, column C" points at the cell's own line.
 */
export function sqlCellScript(cell: SqlCell): string {
  const text = cell.body.replace(/\\/g, '\\\\').replace(/`/g, '\\`');
  return `const ${cell.name} = await ${RUNTIME}.sql\`\n${text}\`;\n${cell.name}`;
}

/** `const {a, b: [c]} = x, d;` becomes `;({a, b: [c]} = x, d = void 0);` with the names hoisted. */
function rewriteVariables(js: string, node: AnyNode, edits: Edit[], declared: Set<string>) {
  const declarations: AnyNode[] = node.declarations;
  for (const d of declarations) {
    for (const name of patternNames(d.id)) declared.add(name);
    if (!d.init) edits.push({ start: d.id.end, end: d.id.end, text: ' = void 0' });
  }
  edits.push({ start: node.start, end: declarations[0]!.start, text: ';(' });
  const end = js[node.end - 1] === ';' ? node.end - 1 : node.end;
  edits.push({ start: end, end, text: ')', close: true });
}

function rewriteImport(node: AnyNode, index: number, declared: Set<string>): string {
  const mod = `__trailbook_m${index}`;
  const parts = [`const ${mod} = await ${RUNTIME}.import(${JSON.stringify(node.source.value)});`];
  for (const s of node.specifiers as AnyNode[]) {
    const local = s.local.name as string;
    declared.add(local);
    if (s.type === 'ImportDefaultSpecifier') parts.push(`${local} = ${RUNTIME}.pick(${mod}, "default");`);
    else if (s.type === 'ImportNamespaceSpecifier') parts.push(`${local} = ${mod};`);
    else {
      const imported = s.imported.type === 'Identifier' ? s.imported.name : s.imported.value;
      parts.push(`${local} = ${RUNTIME}.pick(${mod}, ${JSON.stringify(imported)});`);
    }
  }
  return parts.join(' ');
}

function patternNames(p: AnyNode | null): string[] {
  if (!p) return [];
  switch (p.type) {
    case 'Identifier':
      return [p.name];
    case 'ObjectPattern':
      return p.properties.flatMap((prop: AnyNode) => patternNames(prop.type === 'RestElement' ? prop.argument : prop.value));
    case 'ArrayPattern':
      return p.elements.flatMap((e: AnyNode | null) => patternNames(e));
    case 'RestElement':
      return patternNames(p.argument);
    case 'AssignmentPattern':
      return patternNames(p.left);
    default:
      return [];
  }
}

function walk(node: AnyNode, visit: (n: AnyNode) => void) {
  visit(node);
  for (const key in node) {
    if (key === 'start' || key === 'end' || key === 'type') continue;
    const value = node[key];
    if (Array.isArray(value)) {
      for (const child of value) if (child && typeof child.type === 'string') walk(child, visit);
    } else if (value && typeof value === 'object' && typeof value.type === 'string') walk(value, visit);
  }
}

/** Unchanged stretches of the input: generated offset → input offset. */
interface Segment {
  out: number;
  in: number;
  length: number;
}

function applyEdits(input: string, edits: Edit[]): { output: string; segments: Segment[] } {
  // At one position: closers first (they end the previous construct), inner before outer (pushed
  // later = nested deeper); then openers and replacements, outer before inner (pushed first).
  const rank = (e: Edit & { i: number }) => (e.close ? -1e9 - e.i : e.i);
  const sorted = edits.map((e, i) => ({ ...e, i })).sort((a, b) => a.start - b.start || rank(a) - rank(b));
  let output = '';
  let cursor = 0;
  const segments: Segment[] = [];
  for (const e of sorted) {
    if (e.start > cursor) {
      segments.push({ out: output.length, in: cursor, length: e.start - cursor });
      output += input.slice(cursor, e.start);
      cursor = e.start;
    }
    output += e.text;
    cursor = Math.max(cursor, e.end);
  }
  segments.push({ out: output.length, in: cursor, length: input.length - cursor });
  output += input.slice(cursor);
  return { output, segments };
}

function mapOffset(segments: Segment[], out: number): number {
  let best = segments[0]!;
  for (const s of segments) {
    if (s.out > out) break;
    best = s;
  }
  return best.in + Math.min(Math.max(out - best.out, 0), best.length);
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function findLine(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
