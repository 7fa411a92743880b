import * as monaco from 'monaco-editor';
import { api } from './api.ts';
import { lateAssets } from './assets.ts';
import { codeLanguage, followSqlMagic } from './sql-cells.ts';

/**
 * Monaco for notebook cells: workers from /build, TypeScript that treats every cell as a script
 * sharing one global scope (as the kernel does), plus the kernel's globals from its generated .d.ts.
 * Heavy (the editor core is megabytes): load it with loadMonaco() from ./monaco.ts, never statically.
 */

/** Resolves once the page has painted and the main thread is idle (or after 2 s of steady work). */
const afterFirstPaint = (): Promise<void> =>
  new Promise((resolve) => {
    requestAnimationFrame(() =>
      setTimeout(() => {
        if ('requestIdleCallback' in window) requestIdleCallback(() => resolve(), { timeout: 2000 });
        else setTimeout(resolve, 200);
      }, 0),
    );
  });

(globalThis as unknown as { MonacoEnvironment: monaco.Environment }).MonacoEnvironment = {
  getWorker(_id: string, label: string) {
    const urls = lateAssets();
    if (label !== 'typescript' && label !== 'javascript') return new Worker(urls['editor.worker.js'], { type: 'module', name: label });
    // The TypeScript worker is 7 MB of script and starts by loading lib.d.ts: it would compete with the
    // first editors for the network and both cores. Completions and squiggles can wait for an idle moment;
    // Monaco queues its requests until the worker exists.
    return afterFirstPaint().then(() => new Worker(urls['ts.worker.js'], { type: 'module', name: label }));
  },
};

const ts = monaco.typescript;
ts.typescriptDefaults.setCompilerOptions({
  target: ts.ScriptTarget.ESNext,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.NodeJs,
  lib: ['esnext', 'dom'],
  allowNonTsExtensions: true,
  strict: false,
  noImplicitAny: false,
  strictNullChecks: true,
  allowJs: true,
});
ts.typescriptDefaults.setDiagnosticsOptions({
  noSemanticValidation: false,
  noSyntaxValidation: false,
  // Notebook habits that are fine in the kernel: top-level await in a script, re-declaring a name in a re-run
  // cell; and Node's globals (process, require, Buffer), which the kernel has. The kernel's own type check
  // ignores the same list (kernel/jupyter/language.ts), so a squiggle here is a warning there.
  diagnosticCodesToIgnore: [1375, 1378, 1431, 1432, 2300, 2451, 2393, 1108, 7027, 2403, 2580, 2591, 2592],
});
ts.typescriptDefaults.setEagerModelSync(true);

let typesLoaded: Promise<void> | undefined;
/** Loads the kernel's globals (.d.ts) once; completion and hover then know cloudtrail, Plot, display… */
export function loadKernelTypes(): Promise<void> {
  typesLoaded ??= api
    .kernelTypes()
    .then((dts) => {
      if (dts) ts.typescriptDefaults.addExtraLib(dts, 'file:///trailbook/kernel-globals.d.ts');
    })
    .catch(() => {});
  return typesLoaded;
}

export function createModel(cellId: string, source: string, language: 'typescript' | 'markdown'): monaco.editor.ITextModel {
  const uri = monaco.Uri.parse(`file:///cells/${cellId}.${language === 'typescript' ? 'ts' : 'md'}`);
  monaco.editor.getModel(uri)?.dispose();
  // A code cell whose first line is %%sql is SQL (sql-cells.ts).
  const model = monaco.editor.createModel(source, language === 'typescript' ? codeLanguage(source) : language, uri);
  if (language === 'typescript') followSqlMagic(model, cellId);
  return model;
}

export function createEditor(container: HTMLElement, model: monaco.editor.ITextModel, label: string): monaco.editor.IStandaloneCodeEditor {
  const editor = monaco.editor.create(container, {
    model,
    ariaLabel: label,
    automaticLayout: false,
    minimap: { enabled: false },
    lineNumbers: 'off',
    glyphMargin: false,
    folding: false,
    lineDecorationsWidth: 8,
    lineNumbersMinChars: 0,
    scrollBeyondLastLine: false,
    overviewRulerLanes: 0,
    hideCursorInOverviewRuler: true,
    renderLineHighlight: 'none',
    scrollbar: { vertical: 'hidden', horizontal: 'auto', alwaysConsumeMouseWheel: false, handleMouseWheel: true },
    wordWrap: 'on',
    fontSize: 13,
    lineHeight: 19,
    fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
    tabSize: 2,
    padding: { top: 8, bottom: 8 },
    fixedOverflowWidgets: true,
    contextmenu: true,
    // The page's theme (ui/theme.ts writes it to <html data-theme>); a later switch calls monaco.editor.setTheme.
    theme: document.documentElement.dataset.theme === 'dark' ? 'vs-dark' : 'vs',
    stickyScroll: { enabled: false },
  });
  const fit = () => {
    const height = Math.max(editor.getContentHeight(), 35);
    container.style.height = `${height}px`;
    editor.layout({ width: container.clientWidth, height });
  };
  editor.onDidContentSizeChange(fit);
  fit();
  new ResizeObserver(() => editor.layout({ width: container.clientWidth, height: container.clientHeight })).observe(container);
  return editor;
}

export { monaco };
