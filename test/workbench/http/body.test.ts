import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserFetch, startTestWorkbench, TOKEN, type TestWorkbench } from '../helpers.ts';

/** Request bodies have explicit limits: 413 with a JSON error past them, 400 for bodies that do not parse. */

let wb: TestWorkbench;
beforeAll(async () => {
  wb = await startTestWorkbench();
  await wb.store.create('body.ipynb');
});
afterAll(() => wb?.stop());

const api = (path: string, body: string, type = 'application/json') =>
  fetch(`${wb.url}${path}`, { method: 'POST', headers: { authorization: `token ${TOKEN}`, 'content-type': type }, body });

describe('request bodies', () => {
  it('refuses API bodies over 1 MB with 413 and says so', async () => {
    const res = await api('/api/notebooks', JSON.stringify({ name: 'x'.repeat(1024 * 1024) }));
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: 'request body too large: the limit is 1 MB' });
  });

  it('answers 400 for a body that is not JSON or not the expected type', async () => {
    const broken = await api('/api/notebooks', '{"name": ');
    expect(broken.status).toBe(400);
    expect(await broken.json()).toEqual({ error: 'request body is not valid JSON' });
    const form = await api('/api/notebooks', 'name=x', 'application/x-www-form-urlencoded');
    expect(form.status).toBe(400);
    expect((await form.json()).error).toMatch(/expected a JSON body/);
    const shape = await browserFetch(wb, '/api/notebooks/body.ipynb/rename', { method: 'POST', body: { to: 42 } });
    expect(shape.status).toBe(400);
    expect((await shape.json()).error).toMatch(/^invalid request: to:/);
  });

  it('refuses a login form over 16 KB with 413, and a repeated token field as a wrong token', async () => {
    const login = (body: string) =>
      fetch(`${wb.url}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: wb.origin }, body });
    const big = await login(`token=${'x'.repeat(20 * 1024)}`);
    expect(big.status).toBe(413);
    const repeated = await login(`token=${TOKEN}&token=${TOKEN}`);
    expect(repeated.status).toBe(400);
    expect((await login(`token=${TOKEN}&next=/`)).status).toBe(302);
  });
});
