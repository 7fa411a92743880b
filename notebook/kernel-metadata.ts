/**
 * The notebook metadata every notebook Trailbook writes declares, and nbformat's joined text: apart from
 * the zod schemas in format.ts (which re-exports them), so the Jupyter kernel can answer kernel_info
 * without loading zod.
 */

/**
 * What every notebook Trailbook writes declares. language_info is what tslab (the established TypeScript kernel)
 * reports, plus the Pygments lexer, so GitHub, nbconvert, VS Code and JupyterLab highlight the cells as TypeScript:
 * `mode` selects JupyterLab's TypeScript mode, `name` + `typescript: true` CodeMirror's in the classic notebook.
 * `version` is the TypeScript language level of the kernel (the typescript devDependency's major.minor).
 */
export const TYPESCRIPT_METADATA = {
  kernelspec: { name: 'trailbook-typescript', display_name: 'TypeScript (Trailbook)', language: 'typescript' },
  language_info: {
    name: 'typescript',
    version: '6.0',
    codemirror_mode: { name: 'javascript', mode: 'typescript', typescript: true },
    pygments_lexer: 'typescript',
    file_extension: '.ts',
    mimetype: 'text/typescript',
  },
} as const;

/** Joins nbformat's "string or list of lines" into one string. */
export const joinSource = (s: string | string[]): string => (Array.isArray(s) ? s.join('') : s);
