import * as monaco from 'monaco-editor';
import { completeSql } from '../../cloudtrail/sql/complete.ts';
import { cellForTypes, isSqlCell } from '../../notebook/sql-cell.ts';

/**
 * %%sql cells in the editor: the model's language follows the cell's first line (SQL highlighting, no
 * TypeScript squiggles on SQL), the table and column names of `cloudtrail` complete (after `useridentity.`
 * its fields) and hover shows a column's type and doc, and the variable the cell binds is declared to TypeScript, so later cells type-check against it
 * as the kernel's checker does. Part of the Monaco chunk: loaded with the editor, never before.
 */

const KIND = { table: monaco.languages.CompletionItemKind.Module, column: monaco.languages.CompletionItemKind.Field, field: monaco.languages.CompletionItemKind.Property };

monaco.languages.registerCompletionItemProvider('sql', {
  triggerCharacters: ['.'],
  provideCompletionItems(model, position) {
    if (position.lineNumber === 1) return { suggestions: [] }; // the %%sql header
    const { from, items } = completeSql(model.getValue(), model.getOffsetAt(position));
    const start = model.getPositionAt(from);
    const range = new monaco.Range(start.lineNumber, start.column, position.lineNumber, position.column);
    return {
      suggestions: items.map((i, n) => ({ label: i.label, kind: KIND[i.kind], detail: i.detail, documentation: i.doc, insertText: i.label, range, sortText: String(n).padStart(4, '0') })),
    };
  },
});

monaco.languages.registerHoverProvider('sql', {
  provideHover(model, position) {
    const word = model.getWordAtPosition(position);
    if (!word || position.lineNumber === 1) return undefined;
    const end = model.getOffsetAt({ lineNumber: position.lineNumber, column: word.endColumn });
    const hit = completeSql(model.getValue(), end).items.find((i) => i.label === word.word.toLowerCase());
    if (!hit) return undefined;
    return {
      range: new monaco.Range(position.lineNumber, word.startColumn, position.lineNumber, word.endColumn),
      contents: [{ value: `\`${hit.label}\` ${hit.kind}: \`${hit.detail}\`` }, ...(hit.doc ? [{ value: hit.doc }] : [])],
    };
  },
});

/** The language a code cell's text is in. */
export const codeLanguage = (source: string): 'sql' | 'typescript' => (isSqlCell(source) ? 'sql' : 'typescript');

/** Keeps a code cell's model in the language of its first line, and its SQL variable declared. */
export function followSqlMagic(model: monaco.editor.ITextModel, cellId: string): void {
  const lib = `file:///trailbook/sql-cells/${encodeURIComponent(cellId)}.d.ts`;
  let declared = '';
  let declaration: monaco.IDisposable | undefined;
  const sync = () => {
    const source = model.getValue();
    const language = codeLanguage(source);
    if (model.getLanguageId() !== language) monaco.editor.setModelLanguage(model, language);
    // Only the header matters: a declaration changes when it does, not on every keystroke in the SQL.
    const next = language === 'sql' ? cellForTypes(source) : '';
    if (next === declared) return;
    declared = next;
    declaration?.dispose();
    declaration = next ? monaco.typescript.typescriptDefaults.addExtraLib(next, lib) : undefined;
  };
  sync();
  model.onDidChangeContent(sync);
  model.onWillDispose(() => declaration?.dispose());
}
