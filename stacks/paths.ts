import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The repository root: the Docker build context and the Lambda bundling project root. */
export const REPO_ROOT = path.resolve(import.meta.dirname, '..');

/**
 * The image asset's exclude list is the repository's .dockerignore, so CDK staging copies
 * exactly what `docker build` would send (and stays fast: no node_modules, cdk.out, .data, .cache).
 */
export function dockerignorePatterns(root: string = REPO_ROOT): string[] {
  return readFileSync(path.join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}
