import { spawn } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';

/**
 * Which Chromium the browser tests and bench/ui.ts drive, in this order: CHROMIUM_PATH, Debian's
 * /usr/bin/chromium, else the headless shell that npm delivers in the devDependency @sparticuz/chromium,
 * so that `npm ci && npm test` needs nothing but Node and the npm registry. Never downloaded at run time.
 */
export interface ChromiumChoice {
  path: string;
  /** Where the path came from, for messages. */
  source: 'CHROMIUM_PATH' | 'system' | '@sparticuz/chromium';
  /** Extra environment for the browser process. */
  env: Record<string, string>;
}

export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

const FIX =
  "Fix: run `npm ci` (it installs the devDependency @sparticuz/chromium, used when there is no system Chromium), install Debian's chromium (`apt-get install chromium`), or set CHROMIUM_PATH to a working Chromium.";

/**
 * On top of playwright's own flags: --no-sandbox because tests run as root in containers; the rest keep
 * Chromium off the network (only the registries are reachable here, and its background fetches would
 * fail or hang) and off the GPU. @sparticuz/chromium's own `args` are for Lambda (--single-process and
 * the like) and crash it on an ordinary machine, so they are not used.
 */
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

export async function findChromium(env: NodeJS.ProcessEnv = process.env): Promise<ChromiumChoice> {
  const configured = env.CHROMIUM_PATH;
  if (configured) {
    if (!existsSync(configured)) throw new Error(`CHROMIUM_PATH is ${configured}, which does not exist. ${FIX}`);
    return { path: configured, source: 'CHROMIUM_PATH', env: {} };
  }
  if (existsSync(SYSTEM_CHROMIUM)) return { path: SYSTEM_CHROMIUM, source: 'system', env: {} };
  return npmChromium();
}

/** The headless shell from @sparticuz/chromium, with the libraries it ships. */
export async function npmChromium(): Promise<ChromiumChoice> {
  let sparticuz: typeof import('@sparticuz/chromium').default;
  try {
    sparticuz = (await import('@sparticuz/chromium')).default;
  } catch (err) {
    throw new Error(`No Chromium: CHROMIUM_PATH is not set, there is no ${SYSTEM_CHROMIUM}, and @sparticuz/chromium cannot be loaded (${(err as Error).message}). ${FIX}`);
  }
  // Unpacks the binary, its fonts and SwiftShader to the temp dir on the first call (a few seconds), then reuses them.
  const path = await sparticuz.executablePath();
  return {
    path,
    source: '@sparticuz/chromium',
    env: {
      // The binary needs NSS and expat; the package ships them (built for Amazon Linux, where it unpacks them
      // itself). Using them everywhere means the OS needs only glibc, and every machine runs the same libraries.
      LD_LIBRARY_PATH: await bundledLibraries(),
      FONTCONFIG_PATH: join(dirname(path), 'fonts'),
    },
  };
}

/** @sparticuz/chromium's al2023.tar.br unpacked once into the temp dir; returns its lib folder. */
async function bundledLibraries(): Promise<string> {
  const target = join(tmpdir(), 'trailbook-chromium-libs');
  if (existsSync(join(target, 'lib', 'libnss3.so'))) return join(target, 'lib');
  const archive = join(dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium')), '../../bin/al2023.tar.br');
  // Unpacked beside the target and renamed into place, so a concurrent run never sees half a folder.
  const scratch = await mkdtemp(`${target}-`);
  try {
    const tar = spawn('tar', ['-x', '-C', scratch], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    tar.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve, reject) => tar.once('error', reject).once('close', resolve));
    await pipeline(createReadStream(archive), createBrotliDecompress(), tar.stdin);
    const code = await exited;
    if (code !== 0) throw new Error(`tar exited with ${code}: ${stderr.trim()}`);
    await rename(scratch, target).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err; // another run got there first
    });
  } catch (err) {
    throw new Error(`Could not unpack ${archive}: ${(err as Error).message}. ${FIX}`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return join(target, 'lib');
}

/**
 * Headless Chromium. playwright's launch() gives every browser a fresh temporary profile directory (it
 * refuses --user-data-dir), so nothing leaks between runs. A missing or broken browser fails with a
 * message that says which one was tried and how to fix it.
 */
export async function launchChromium(
  choose: ChromiumChoice | Promise<ChromiumChoice> = findChromium(),
): Promise<{ browser: Browser; choice: ChromiumChoice; close: () => Promise<void> }> {
  const choice = await choose;
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath: choice.path, args: ARGS, env: { ...process.env, ...choice.env } as Record<string, string> });
  } catch (err) {
    const partial = choice.source === '@sparticuz/chromium' ? ` If ${choice.path} is left over from an interrupted unpack, delete it and run again.` : '';
    throw new Error(`Chromium from ${choice.source} (${choice.path}) did not start: ${(err as Error).message.split('\n').slice(0, 6).join('\n')}\n${FIX}${partial}`);
  }
  return { browser, choice, close: () => browser.close() };
}
