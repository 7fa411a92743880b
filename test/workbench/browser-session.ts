import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Cell, Notebook, Output } from '../../notebook/format.ts';
import { emptyNotebook } from '../../notebook/format.ts';
import type { WorkbenchOptions } from '../../workbench/server.ts';
import { ensureUiBuild } from '../../workbench/build.ts';
import { launchChromium } from './browser.ts';
import { startTestWorkbench, TOKEN, type TestWorkbench } from './helpers.ts';

/** A workbench and a headless Chromium for the browser tests, with what those tests keep doing. */

export interface BrowserSession {
  wb: TestWorkbench;
  browser: Browser;
  close(): Promise<void>;
}

export async function startBrowserSession(overrides: Partial<WorkbenchOptions> = {}): Promise<BrowserSession> {
  await ensureUiBuild();
  const [wb, chromium] = await Promise.all([startTestWorkbench(overrides), launchChromium()]);
  return {
    wb,
    browser: chromium.browser,
    async close() {
      await chromium.close();
      await wb.stop();
    },
  };
}

/** A logged-in page (the login form sets the session cookie); page errors are collected, never ignored. */
export async function loggedInPage(session: BrowserSession, options: { colorScheme?: 'light' | 'dark'; context?: BrowserContext } = {}): Promise<{ page: Page; errors: string[] }> {
  const context = options.context ?? (await session.browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: options.colorScheme ?? 'light' }));
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  await context.request.post(`${session.wb.url}/login`, { form: { token: TOKEN, next: '/' }, headers: { origin: session.wb.url }, maxRedirects: 0 });
  return { page, errors };
}

/** Opens a notebook page and waits until its editors can be used. */
export async function openNotebook(page: Page, session: BrowserSession, name: string): Promise<void> {
  await page.goto(`${session.wb.url}/notebooks/${name.split('/').map(encodeURIComponent).join('/')}`);
  await page.locator('.notebook-page[data-ready="true"]').waitFor();
}

export const codeCell = (id: string, source: string, outputs: Output[] = []): Cell => ({
  id,
  cell_type: 'code',
  source,
  metadata: {},
  execution_count: null,
  outputs,
});
export const markdownCell = (id: string, source: string): Cell => ({ id, cell_type: 'markdown', source, metadata: {} });
export const notebookOf = (...cells: Cell[]): Notebook => ({ ...emptyNotebook(), cells });

/** The sources of the notebook as the page holds it (its model). */
export const sources = (page: Page): Promise<string[]> =>
  page.evaluate(() => (window as unknown as { trailbook: { toNotebook(): Notebook } }).trailbook.toNotebook().cells.map((c) => (Array.isArray(c.source) ? c.source.join('') : c.source)));

/** Presses keys one after another, as a person does (sequences such as D,D or I,I need separate presses). */
export async function press(page: Page, ...keys: string[]): Promise<void> {
  for (const key of keys) await page.keyboard.press(key);
}

let axeSource: string | undefined;
export interface AxeViolation {
  id: string;
  impact: string | null;
  nodes: number;
  targets: string[];
}

/**
 * Runs axe-core (WCAG 2.x A and AA rules and axe's best practices) on the page as it is, and returns the
 * violations. Injected through the DevTools protocol: the pages' CSP forbids inline scripts, and stays on.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(`${axeSource};0`);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, options: object): Promise<{ violations: { id: string; impact: string | null; nodes: { target: string[]; failureSummary?: string }[] }[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, targets: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`) }));
  });
}
