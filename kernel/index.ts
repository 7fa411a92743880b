/** The kernel's public surface for the workbench, the CLI and other helpers. */
export { createKernelHost } from './host.ts';
export { runNotebook, describeFailure, mergeStreams, type RunNotebookOptions, type RunNotebookResult, type CellFailure, type CellProgress } from './runner.ts';
export { generatePreludeTypes, preludeModules, type PreludeModule, type PreludeContext, type PreludeGlobal } from './prelude/index.ts';
export type * from './protocol.ts';
