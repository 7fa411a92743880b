#!/usr/bin/env node
// The kernelspec's entry point (`node kernel/jupyter/launch.js -f {connection_file}`): plain node on
// the bundled front door (kernel/jupyter/bundle.ts), as tsx would take most of the launch budget.
// The bundle checks itself against the sources and hands over to a rebuilt one when they changed.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const here = dirname(fileURLToPath(import.meta.url));
// Must match JUPYTER_CACHE_DIR in bundle.ts.
const cacheDir = join(here, '../../node_modules/.cache/trailbook/jupyter');

let entry;
try {
  const manifest = JSON.parse(readFileSync(join(cacheDir, 'kernel.json'), 'utf8'));
  if (existsSync(join(cacheDir, manifest.entry))) entry = join(cacheDir, manifest.entry);
} catch {
  // not built yet
}
if (!entry) {
  // First launch on this checkout (`trailbook kernel install` normally builds it): build through tsx.
  const { register } = await import('tsx/esm/api');
  register();
  const { jupyterBundle } = await import('./bundle.ts');
  entry = await jupyterBundle();
}
try {
  const { main } = await import(pathToFileURL(entry).href);
  // exit, not exitCode: the runtime's and ZeroMQ's handles must not keep a finished kernel alive.
  process.exit(await main(process.argv.slice(2), entry));
} catch (err) {
  process.stderr.write(`[trailbook kernel] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
