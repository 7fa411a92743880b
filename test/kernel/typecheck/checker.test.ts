import { afterAll, describe, expect, it } from 'vitest';
import { TypeChecker } from '../../../kernel/typecheck/checker.ts';
import { PROJECT_ROOT } from '../helpers.ts';

/** The checker thread on its own: what a cell sees of the cells run before it, and what a check costs. */

const checker = new TypeChecker();
afterAll(() => checker.close());
const check = (cells: string[], code: string) => checker.check(PROJECT_ROOT, cells, code);

describe('TypeChecker', () => {
  it('sees earlier cells\' imports and exports as globals, as the kernel runs them', async () => {
    const earlier = [
      'import { z } from "zod";\nimport * as nodePath from "node:path";\nimport nodeUtil, { inspect as show } from "node:util";\nimport type { ZodType } from "zod";',
      'export const limit: number = 5;\nexport function twice(n: number) { return n * 2 }',
    ];
    expect(await check(earlier, 'const s: string = z.string().parse("x") + nodePath.sep + show(limit) + typeof nodeUtil.format;\nconst t: ZodType = z.number();\ntwice(limit)')).toEqual([]);
    expect(await check(earlier, 'const n: number = z.string().parse("x");')).toEqual([
      { line: 1, column: 7, code: 2322, message: "Type 'string' is not assignable to type 'number'." },
    ]);
  });

  it('types cells like Node runs them: process and Buffer exist, the DOM\'s `status` and `name` do not', async () => {
    expect(await check([], 'const pid: number = process.pid; const b = Buffer.from("x"); const status = { count: 1 }; status.count + 1')).toEqual([]);
    expect((await check([], 'const x = name;')).map((d) => d.code)).toEqual([2304]);
  });

  it('reads only the new cell: a check after 300 cells costs about what one after none does', async () => {
    const cells = Array.from({ length: 300 }, (_, i) => `const rows${i} = await cloudtrail.events({ eventName: 'AssumeRole', limit: ${i} });\nrows${i}.map((e) => e.principal.name)`);
    const median = async (history: string[]) => {
      const times: number[] = [];
      for (let k = 0; k < 5; k++) {
        const started = performance.now();
        await check(history, `const v${k}: number = ${k} + 1;`);
        times.push(performance.now() - started);
      }
      return times.sort((a, b) => a - b)[2]!;
    };
    await check(cells, '0'); // the history's files are parsed once
    const [none, many] = [await median([]), await median(cells)];
    // Generous: the machine may be busy; re-checking 300 cells every time would cost several times more.
    expect(many).toBeLessThan(none * 3 + 150);
  });
});
