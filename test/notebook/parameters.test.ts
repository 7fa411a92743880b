import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseNotebook, type Notebook } from '../../notebook/format.ts';
import { injectParameters, parametersSource, parseParameter } from '../../notebook/parameters.ts';
import { trailbook } from '../cli/trailbook.ts';

const notebook = (cells: { source: string; tags?: string[]; id?: string }[]): Notebook =>
  parseNotebook(
    JSON.stringify({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: cells.map((c, i) => ({ id: c.id ?? `c${i}`, cell_type: 'code', source: c.source, metadata: c.tags ? { tags: c.tags } : {}, outputs: [], execution_count: null })),
    }),
  );

describe('notebook parameters (papermill semantics)', () => {
  it('reads key=value as JSON when it parses, else as a string', () => {
    expect(parseParameter('days=30')).toEqual(['days', 30]);
    expect(parseParameter('errorsOnly=true')).toEqual(['errorsOnly', true]);
    expect(parseParameter('regions=["eu-west-1","us-east-1"]')).toEqual(['regions', ['eu-west-1', 'us-east-1']]);
    expect(parseParameter('principal=alice')).toEqual(['principal', 'alice']);
    expect(parseParameter('code="007"')).toEqual(['code', '007']);
    expect(parseParameter('query=a=b')).toEqual(['query', 'a=b']);
    expect(() => parseParameter('no-equals')).toThrow(/key=value/);
    expect(() => parseParameter('not-a-name=1')).toThrow(/TypeScript identifier/);
  });

  it('injects a cell after the one tagged parameters, declared as the defaults are', () => {
    const nb = notebook([{ source: 'import x from "y"' }, { source: 'const days = 7;\nlet who = "all";', tags: ['parameters'] }, { source: 'days * 2' }]);
    expect(injectParameters(nb, { days: 30, who: 'alice' })).toEqual([]);
    expect(nb.cells.map((c) => c.id)).toEqual(['c0', 'c1', 'injected-parameters', 'c2']);
    const injected = nb.cells[2]!;
    expect(injected.metadata).toEqual({ tags: ['injected-parameters'] });
    expect(injected.source).toBe('// Parameters injected by `trailbook run --param`\nconst days = 30;\nlet who = "alice";\n');
  });

  it('replaces a previously injected cell, and says when no cell is tagged or a name is not declared', () => {
    const nb = notebook([{ source: 'const days = 7;', tags: ['parameters'] }, { source: 'const days = 1;', tags: ['injected-parameters'], id: 'injected-parameters' }, { source: 'days' }]);
    expect(injectParameters(nb, { days: 2, extra: 'x' })).toEqual(['parameter "extra" is not declared in the "parameters" cell; it was injected anyway']);
    expect(nb.cells.filter((c) => c.metadata.tags?.toString() === 'injected-parameters')).toHaveLength(1);
    expect(nb.cells[1]!.source).toContain('const days = 2;');

    const untagged = notebook([{ source: 'const a = 1' }]);
    expect(injectParameters(untagged, { a: 5 })).toEqual(['no code cell is tagged "parameters": the parameters were put in a new first cell']);
    expect(untagged.cells[0]!.source).toContain('const a = 5;');
  });

  it('writes values as TypeScript literals, strings escaped', () => {
    expect(parametersSource({ s: 'a "quoted"\nline', n: null, o: { k: [1] } })).toContain('const s = "a \\"quoted\\"\\nline";\nconst n = null;\nconst o = {"k":[1]};');
  });
});

describe('trailbook run --param', () => {
  let dir: string | undefined;
  afterAll(() => dir && rm(dir, { recursive: true, force: true }));

  it('runs the notebook with the injected values and keeps the injected cell in the output', async () => {
    dir = await mkdtemp(join(tmpdir(), 'trailbook-params-'));
    const path = join(dir, 'report.ipynb');
    await writeFile(path, JSON.stringify(notebook([{ source: 'const days = 7;\nconst who = "all";', tags: ['parameters'] }, { source: '`${who} over ${days * 2} days`' }])));
    const run = await trailbook(['run', path, '--no-sample-data', '-q', '--param', 'days=15', '-p', 'who=alice'], { timeoutMs: 90_000 });
    expect(run.code, run.stderr).toBe(0);
    const saved = JSON.parse(await readFile(path, 'utf8'));
    expect(saved.cells.map((c: { id: string }) => c.id)).toEqual(['c0', 'injected-parameters', 'c1']);
    expect(saved.cells[2].outputs[0].data['text/plain']).toEqual(["'alice over 30 days'"]);

    const bad = await trailbook(['run', path, '--no-sample-data', '--param', 'oops'], { timeoutMs: 30_000 });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--param wants key=value, got "oops"');
  }, 120_000);
});
