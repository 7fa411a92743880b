// node:fs plus the part of Node 22's fs.globSync the conformance suite uses: `*`, `?` and `**/` patterns
// relative to `options.cwd`, returning matching paths relative to it (its `tier-check` looks for **/checks.json).
import fs, { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export * from 'node:fs';
export default fs;

const toRegExp = (pattern) =>
  new RegExp(
    `^${pattern
      .split(/(\*\*\/|\*|\?)/)
      .map((part) => (part === '**/' ? '(?:.*/)?' : part === '*' ? '[^/]*' : part === '?' ? '[^/]' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
  );

export function globSync(patterns, options = {}) {
  const cwd = options.cwd ?? process.cwd();
  const tests = [patterns].flat().map(toRegExp);
  const out = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const rel = relative(cwd, path).split(sep).join('/');
      if (tests.some((t) => t.test(rel))) out.push(relative(cwd, path));
      if (entry.isDirectory()) walk(path);
    }
  };
  walk(cwd);
  return out;
}
