import { joinSource, type CodeCell, type Notebook } from './format.ts';

/**
 * Notebook parameters with papermill's semantics, for `trailbook run NB --param key=value`: the
 * defaults live in a code cell tagged `parameters`; the given values go into a new cell tagged
 * `injected-parameters` right after it (replacing one a previous run injected), so the values
 * override the defaults and the executed notebook shows what it ran with.
 *
 * Papermill itself cannot do this for TypeScript: it has no parameter translator for the language
 * (see docs/jupyter.md), so this is how scheduled Trailbook reports are parameterised.
 */

export const PARAMETERS_TAG = 'parameters';
export const INJECTED_TAG = 'injected-parameters';

export type ParameterValue = string | number | boolean | null | ParameterValue[] | { [key: string]: ParameterValue };

export class ParameterError extends Error {}

const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u;

/**
 * `key=value` from the command line. The value is JSON when it parses as JSON (`30`, `true`,
 * `null`, `["a","b"]`, `"007"` for a string of digits), otherwise the text itself, as a string.
 */
export function parseParameter(arg: string): [string, ParameterValue] {
  const at = arg.indexOf('=');
  if (at < 1) throw new ParameterError(`--param wants key=value, got "${arg}"`);
  const key = arg.slice(0, at);
  if (!IDENTIFIER.test(key)) throw new ParameterError(`--param ${key}: the name must be a TypeScript identifier`);
  const text = arg.slice(at + 1);
  try {
    return [key, JSON.parse(text) as ParameterValue];
  } catch {
    return [key, text];
  }
}

const tagsOf = (cell: { metadata: Record<string, unknown> }): unknown[] => (Array.isArray(cell.metadata.tags) ? cell.metadata.tags : []);

/** How the parameters cell declares `name` (`const`, `let` or `var`), if it does. */
function declaredWith(name: string, defaults: string): string | undefined {
  const escaped = name.replace(/\$/g, '\\$');
  return new RegExp(`\\b(const|let|var)\\s+${escaped}(?![\\p{ID_Continue}$])`, 'u').exec(defaults)?.[1];
}

/** The injected cell's source: one declaration per parameter (declared as the defaults are, so a `let` stays reassignable), values as JSON literals. */
export function parametersSource(parameters: Record<string, ParameterValue>, defaults = ''): string {
  const lines = Object.entries(parameters).map(([name, value]) => `${declaredWith(name, defaults) ?? 'const'} ${name} = ${JSON.stringify(value)};`);
  return ['// Parameters injected by `trailbook run --param`', ...lines].join('\n') + '\n';
}

/**
 * Inserts the injected-parameters cell into `notebook` (in place). Returns notices for the user:
 * no cell tagged `parameters` (the values then go first, as papermill does), or a name the
 * parameters cell does not declare (still injected, as papermill does).
 */
export function injectParameters(notebook: Notebook, parameters: Record<string, ParameterValue>): string[] {
  const notices: string[] = [];
  notebook.cells = notebook.cells.filter((c) => !tagsOf(c).includes(INJECTED_TAG));
  const at = notebook.cells.findIndex((c) => c.cell_type === 'code' && tagsOf(c).includes(PARAMETERS_TAG));
  const defaults = at >= 0 ? joinSource(notebook.cells[at]!.source) : '';
  if (at < 0) notices.push(`no code cell is tagged "${PARAMETERS_TAG}": the parameters were put in a new first cell`);
  for (const name of Object.keys(parameters)) {
    if (at >= 0 && !declaredWith(name, defaults)) {
      notices.push(`parameter "${name}" is not declared in the "${PARAMETERS_TAG}" cell; it was injected anyway`);
    }
  }
  const ids = new Set(notebook.cells.map((c) => c.id));
  let id = INJECTED_TAG;
  for (let n = 2; ids.has(id); n++) id = `${INJECTED_TAG}-${n}`;
  const cell: CodeCell = { id, cell_type: 'code', source: parametersSource(parameters, defaults), metadata: { tags: [INJECTED_TAG] }, execution_count: null, outputs: [] };
  notebook.cells.splice(at + 1, 0, cell);
  return notices;
}
