// `node --import ./node20-fs-glob.mjs`: lets @modelcontextprotocol/conformance (built for Node 22) run on Node 20.
// It imports `globSync` from "fs", which Node 20 lacks, and a missing named import fails before any code runs.
// This resolve hook hands that package (and only it) a copy of fs with a small globSync (./fs-with-glob.mjs).
import { register } from 'node:module';

register('./fs-glob-hooks.mjs', import.meta.url);
