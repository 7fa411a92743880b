import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../stacks/paths.ts';

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Parses the repository's Dockerfile into stages of instructions (continuations joined, comments dropped). */
export function parseDockerfile(file = path.join(REPO_ROOT, 'Dockerfile')): Stage[] {
  const logical = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword, args] = /^(\S+)\s*(.*)$/.exec(line)!;
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      const [, from, name] = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(args)!;
      stages.push({ from, name, instructions: [] });
    } else if (stages.length) {
      stages.at(-1)!.instructions.push({ keyword: upper, args });
    }
  }
  return stages;
}

/** The exec-form JSON array of the last matching instruction (CMD, ENTRYPOINT, HEALTHCHECK ... CMD). */
export function execForm(args: string): string[] {
  const json = args.slice(args.indexOf('['));
  const parsed = JSON.parse(json);
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string')) throw new Error(`not an exec-form array: ${args}`);
  return parsed;
}

/** ENV key=value pairs of a stage (quoted values unquoted). */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { keyword, args } of stage.instructions) {
    if (keyword !== 'ENV') continue;
    for (const match of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S+)/g)) env[match[1]] = match[2].replace(/^"(.*)"$/, '$1');
  }
  return env;
}

export function last(stage: Stage, keyword: string): Instruction | undefined {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword).at(-1);
}
