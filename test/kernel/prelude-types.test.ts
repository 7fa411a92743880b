import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { generatePreludeTypes, preludeModules } from '../../kernel/prelude/index.ts';

/** Type-checks a cell against the generated prelude declarations, as the editor would. */
function check(declarations: string, cell: string): string[] {
  const files: Record<string, string> = { '/prelude.d.ts': declarations, '/cell.ts': `export {};\n${cell}` };
  const options: ts.CompilerOptions = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, lib: ['lib.es2022.d.ts'], types: [], skipLibCheck: false };
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  host.readFile = (f) => files[f] ?? read(f);
  host.fileExists = (f) => f in files || ts.sys.fileExists(f);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (f, v) => (f in files ? ts.createSourceFile(f, files[f]!, v) : getSourceFile(f, v));
  const program = ts.createProgram(Object.keys(files), options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

describe('prelude type declarations', () => {
  it('declares every prelude global', async () => {
    const dts = await generatePreludeTypes();
    for (const m of preludeModules) for (const name of Object.keys(m.globals)) expect(dts).toMatch(new RegExp(`declare (const|function) ${name}\\b`));
  });

  it('type-check a cell that uses the globals, and catch misuse', async () => {
    const dts = await generatePreludeTypes();
    const ok = check(dts, `
      const events = await cloudtrail.events({ startTime: new Date(), eventName: 'ConsoleLogin', limit: 10 });
      const names: string[] = events.map((e) => e.principal.name + e.source);
      const top = await cloudtrail.eventNames({ top: 5 });
      const s = await cloudtrail.status();
      await display(html\`<b>\${names.length}</b>\`);
      md\`# \${top[0]?.count ?? 0} \${s.count}\`;
      const fig = Plot.plot({ marks: [Plot.dot(events, { x: 'time' })], color: { legend: true } });
      fig.outerHTML.length;
      (await mcp.listTools()).tools.map((t) => t.name);
    `);
    expect(ok).toEqual([]);
    const bad = check(dts, `await cloudtrail.events({ limit: 'ten' }); cloudtrail.nope();`);
    expect(bad.join('\n')).toMatch(/'string' is not assignable to type 'number'/);
    expect(bad.join('\n')).toMatch(/nope/);
  });
});
