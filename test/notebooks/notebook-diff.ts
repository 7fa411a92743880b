/**
 * A readable account of how a re-run notebook differs from the committed one: the first differing cell
 * (index, id, type) with a compact line diff of its JSON, or the notebook-level part that differs.
 * Long lines (HTML tables, SVG) are cut to a window around their first differing character.
 */

const CONTEXT = 2;
const MAX_LINES = 16;
const WINDOW = 100;

type Json = Record<string, unknown>;

export function describeNotebookDiff(expected: string, actual: string): string | undefined {
  if (expected === actual) return undefined;
  let a: Json;
  let b: Json;
  try {
    a = JSON.parse(expected) as Json;
    b = JSON.parse(actual) as Json;
  } catch {
    return `the files differ and one is not JSON:\n${lineDiff(expected, actual)}`;
  }
  const { cells: cellsA = [], ...restA } = a as { cells?: Json[] };
  const { cells: cellsB = [], ...restB } = b as { cells?: Json[] };
  const pretty = (v: unknown) => JSON.stringify(v, null, 1);
  if (pretty(restA) !== pretty(restB)) return `the notebook metadata or format version differs:\n${lineDiff(pretty(restA), pretty(restB))}`;
  const n = Math.max(cellsA.length, cellsB.length);
  for (let i = 0; i < n; i++) {
    const [x, y] = [cellsA[i], cellsB[i]];
    if (pretty(x) === pretty(y)) continue;
    const cell = x ?? y!;
    const where = `cell ${i} (id ${String(cell.id)}, ${String(cell.cell_type)})`;
    if (!x || !y) return `${where} is only in the ${x ? 'committed' : 're-run'} notebook (${cellsA.length} vs ${cellsB.length} cells)`;
    return `${where} differs (- committed, + re-run):\n${lineDiff(pretty(x), pretty(y))}`;
  }
  return `same content, different bytes (formatting):\n${lineDiff(expected, actual)}`;
}

/**
 * A unified-style diff of two texts: lines aligned by longest common subsequence (when small enough), changed
 * lines with a few lines of context, long lines cut around their difference from the line they replace.
 */
export function lineDiff(expected: string, actual: string): string {
  const script = align(expected.split('\n'), actual.split('\n'));
  const near = script.map(() => false);
  script.forEach(([mark], k) => {
    if (mark !== ' ') for (let d = -CONTEXT; d <= CONTEXT; d++) if (script[k + d]) near[k + d] = true;
  });
  const lines: string[] = [];
  let changed = 0;
  for (let k = 0; k < script.length; k++) {
    if (!near[k]) {
      if (lines.length && lines[lines.length - 1] !== '…') lines.push('…');
      continue;
    }
    const [mark, line, other] = script[k]!;
    if (mark !== ' ' && ++changed > MAX_LINES) {
      lines.push('… more changed lines');
      break;
    }
    if (!lines.length) lines.push(`@@ line ${script.slice(0, k).filter(([m]) => m !== '+').length + 1} @@`);
    lines.push(`${mark} ${cut(line, other)}`);
  }
  return lines.join('\n');
}

const cut = (line: string, other = ''): string => {
  if (line.length <= WINDOW * 2) return line;
  const column = firstDifference(line, other);
  return `${column > WINDOW / 2 ? '…' : ''}${line.slice(Math.max(0, column - WINDOW / 2), column + WINDOW)}…`;
};

type Step = [mark: ' ' | '-' | '+', line: string, replaces?: string];

/**
 * Edit script of two line lists by longest common subsequence (all of `a` then all of `b` when too large to
 * align). Each removed line is paired with the added line at the same place in its run, for `cut`.
 */
function align(a: string[], b: string[]): Step[] {
  const out: Step[] = [];
  if (a.length * b.length > 4_000_000) {
    out.push(...a.map((l, k): Step => ['-', l, b[k]]), ...b.map((l, k): Step => ['+', l, a[k]]));
    return out;
  }
  const lcs = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  let [i, j] = [0, 0];
  let removed: Step[] = [];
  let added = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push([' ', a[i++]!]), j++;
      removed = [];
      added = 0;
    } else if (i < a.length && (j === b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      const step: Step = ['-', a[i++]!];
      removed.push(step);
      out.push(step);
    } else {
      const line = b[j++]!;
      const pair = removed[added++];
      if (pair) pair[2] = line;
      out.push(['+', line, pair?.[1]]);
    }
  }
  return out;
}

function firstDifference(x: string, y: string): number {
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return i;
}
