#!/usr/bin/env node
// Entry shim: Node 20 cannot run TypeScript itself, so register tsx's loader and hand over to the CLI.
import { register } from 'tsx/esm/api';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
