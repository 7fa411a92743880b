import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { extractPreludeHelp, firstSentence } from '../../../kernel/prelude/help-data.ts';
import { buildPreludeHelp } from '../../../kernel/prelude/help-plugin.ts';
import { generatePreludeTypes } from '../../../kernel/prelude/index.ts';

const DTS = `
interface Args { limit?: number }
/** A call signature and members. */
interface Tag {
  /** Runs it. Then more. */
  <T>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T[]>;
  /** Rows at most. */
  maxRows: number;
  query(text: string): Promise<unknown>;
}
type Alias = { /** Aliased, e.g. like this. */ viaAlias(a: Args): void };
/** The first global.
 * Its second line is not in the card. */
declare const first: {
  /** Pages of things (default 10). */
  list(args?: Args): Promise<{ items: string[] }>;
  /** As a property of function type. */
  asProperty: (x: number, y?: string) => boolean;
  plain: string;
  /** Anything else. */
  [other: string]: any;
};
declare const tagged: Tag;
declare const aliased: Alias & { extra(): number };
/** Says hello. */
declare function hello(name: string): string;
declare function hello(): string;
`;

describe('extractPreludeHelp', () => {
  const help = extractPreludeHelp(ts, DTS).globals;

  it('reads each declared global with its one-line doc and members, from type literals, interfaces and aliases', () => {
    expect(help.first).toEqual({
      name: 'first',
      doc: 'The first global.',
      members: [
        { name: 'list', kind: 'method', params: '(args?: Args)', type: 'Promise<{ items: string[] }>', doc: 'Pages of things (default 10).' },
        { name: 'asProperty', kind: 'method', params: '(x: number, y?: string)', type: 'boolean', doc: 'As a property of function type.' },
        { name: 'plain', kind: 'property', type: 'string', doc: undefined },
      ],
      more: 'Anything else.',
    });
    expect(help.tagged!.members).toEqual([
      { name: '', kind: 'call', params: '<T>(strings: TemplateStringsArray, ...values: unknown[])', type: 'Promise<T[]>', doc: 'Runs it.' },
      { name: 'maxRows', kind: 'property', type: 'number', doc: 'Rows at most.' },
      { name: 'query', kind: 'method', params: '(text: string)', type: 'Promise<unknown>', doc: undefined },
    ]);
    expect(help.aliased!.members.map((m) => [m.name, m.doc])).toEqual([
      ['viaAlias', 'Aliased, e.g. like this.'],
      ['extra', undefined],
    ]);
    expect(help.hello).toMatchObject({ doc: 'Says hello.', members: [{ kind: 'call', params: '(name: string)' }, { kind: 'call', params: '()' }] });
  });

  it('cuts docs at the first sentence, not at abbreviations or numbers', () => {
    expect(firstSentence('Shows a chart, e.g. Plot.plot({}). Then more.')).toBe('Shows a chart, e.g. Plot.plot({}).');
    expect(firstSentence('Scores 0.5 or more.\nskipped: details')).toBe('Scores 0.5 or more.');
    expect(firstSentence('No stop at all')).toBe('No stop at all');
  });
});

describe('the prelude help the kernel is built with', () => {
  it('covers every declared global, with a doc and members for the ones a newcomer meets first', async () => {
    const help = await buildPreludeHelp();
    expect(help.unavailable).toBeUndefined();
    const declared = [...(await generatePreludeTypes()).matchAll(/^declare (?:const|function) (\w+)/gm)].map((m) => m[1]);
    expect(Object.keys(help.globals).sort()).toEqual([...new Set(declared)].sort());
    for (const name of ['cloudtrail', 'predict', 'agent', 'mcp', 'Plot', 'help']) {
      expect(help.globals[name]!.doc, name).toBeTruthy();
      expect(help.globals[name]!.members.length, name).toBeGreaterThan(0);
    }
    const lookup = help.globals.cloudtrail!.members.find((m) => m.name === 'lookupEvents');
    expect(lookup).toMatchObject({ kind: 'method', params: '(args?: CloudTrailLookupArgs)', doc: expect.stringMatching(/^One page of events/) });
  });
});
