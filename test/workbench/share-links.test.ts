import { readdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyNotebook, serialiseNotebook } from '../../notebook/format.ts';
import { browserFetch, startTestWorkbench, TOKEN, type TestWorkbench } from './helpers.ts';

/** Share links over HTTP: they follow a notebook's id through renames, die with it, expire, and can be listed and revoked. */

let wb: TestWorkbench;
beforeAll(async () => {
  wb = await startTestWorkbench();
});
afterAll(() => wb?.stop());

const json = (res: Response) => res.json() as Promise<Record<string, any>>;
const share = async (name: string, body: Record<string, unknown> = {}) => {
  const res = await browserFetch(wb, `/api/notebooks/${encodeURIComponent(name)}/share`, { method: 'POST', body });
  return { status: res.status, body: await json(res) };
};
const tokenOf = (url: string) => url.split('/share/')[1]!;

describe('share links', () => {
  it('follow the notebook through a rename and die with its deletion, even when a new notebook takes the name', async () => {
    await wb.store.create('report.ipynb');
    const made = await share('report.ipynb');
    expect(made.status).toBe(201);
    expect((await fetch(made.body.url)).status).toBe(200);

    expect((await browserFetch(wb, '/api/notebooks/report.ipynb/rename', { method: 'POST', body: { to: 'renamed.ipynb' } })).status).toBe(200);
    const afterRename = await fetch(made.body.url);
    expect(afterRename.status).toBe(200);
    expect(await afterRename.text()).toContain('renamed');

    expect((await browserFetch(wb, '/api/notebooks/renamed.ipynb', { method: 'DELETE' })).status).toBe(204);
    await wb.store.create('renamed.ipynb'); // same name, a different notebook
    await wb.store.create('report.ipynb');
    const gone = await fetch(made.body.url);
    expect(gone.status).toBe(410);
    expect(await gone.text()).toMatch(/This notebook was deleted/);
    // The listing says so too.
    const listed = (await json(await browserFetch(wb, '/api/shares'))).shares.find((s: { id: string }) => s.id === made.body.id);
    expect(listed).toMatchObject({ status: 'deleted', notebook: null, url: null });
  });

  it('does not follow a duplicate: the copy has its own id', async () => {
    const original = await wb.store.create('original.ipynb');
    const made = await share('original.ipynb');
    const dup = await json(await browserFetch(wb, '/api/notebooks/original.ipynb/duplicate', { method: 'POST', body: {} }));
    const copy = JSON.parse(await readFile(join(wb.dir, dup.name), 'utf8'));
    const first = JSON.parse(await readFile(join(wb.dir, 'original.ipynb'), 'utf8'));
    expect(copy.metadata.trailbook.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(copy.metadata.trailbook.id).not.toBe(first.metadata.trailbook.id);
    expect(first.metadata.trailbook.id).toBe((original.notebook.metadata.trailbook as { id: string }).id);
    await wb.store.remove('original.ipynb');
    expect((await fetch(made.body.url)).status).toBe(410);
  });

  it('expire after 30 days by default, never only when asked, and refuse an ambiguous null', async () => {
    await wb.store.create('expiry.ipynb');
    const before = Date.now();
    const byDefault = await share('expiry.ipynb');
    expect(byDefault.body.expiresAt).toBeGreaterThanOrEqual(before + 30 * 24 * 3_600_000);
    expect(byDefault.body.expiresAt).toBeLessThanOrEqual(Date.now() + 30 * 24 * 3_600_000);
    expect(byDefault.body.expires).toBe(new Date(byDefault.body.expiresAt).toISOString());
    const day = await share('expiry.ipynb', { expiresInHours: 24 });
    expect(Math.round((day.body.expiresAt - Date.now()) / 3_600_000)).toBe(24);
    const never = await share('expiry.ipynb', { expiresInHours: 'never' });
    expect(never.status).toBe(201);
    expect(never.body.expiresAt).toBeNull();
    expect((await fetch(never.body.url)).status).toBe(200);
    const ambiguous = await share('expiry.ipynb', { expiresInHours: null });
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.body.error).toMatch(/"never"/);
    expect((await share('expiry.ipynb', { expiresInHours: -1 })).status).toBe(400);
  });

  it('are listed per notebook and overall, and a revoked link answers 410 with a clear page', async () => {
    await wb.store.create('listed.ipynb');
    const a = await share('listed.ipynb', { expiresInHours: 1 });
    const b = await share('listed.ipynb');
    const mine = (await json(await browserFetch(wb, '/api/notebooks/listed.ipynb/shares'))).shares;
    expect(mine.map((s: { id: string }) => s.id).sort()).toEqual([a.body.id, b.body.id].sort());
    for (const s of mine) {
      expect(s).toMatchObject({ notebook: 'listed.ipynb', createdBy: 'token user', revoked: false, status: 'active' });
      expect(s.url).toMatch(/\/share\//);
    }
    const all = (await json(await browserFetch(wb, '/api/shares'))).shares;
    expect(all.length).toBeGreaterThan(mine.length);

    expect((await browserFetch(wb, `/api/shares/${a.body.id}`, { method: 'DELETE' })).status).toBe(204);
    const revoked = await fetch(a.body.url);
    expect(revoked.status).toBe(410);
    expect(revoked.headers.get('content-type')).toMatch(/html/);
    expect(await revoked.text()).toMatch(/This share link was revoked/);
    expect((await fetch(`${a.body.url}/export.html`)).status).toBe(410);
    expect((await fetch(b.body.url)).status).toBe(200); // the other link still works
    const after = (await json(await browserFetch(wb, '/api/notebooks/listed.ipynb/shares'))).shares.find((s: { id: string }) => s.id === a.body.id);
    expect(after).toMatchObject({ revoked: true, status: 'revoked', url: null });
    expect((await browserFetch(wb, '/api/shares/no-such-link', { method: 'DELETE' })).status).toBe(404);
    // Listing and revoking need the token like the rest of the API.
    expect((await fetch(`${wb.url}/api/shares`)).status).toBe(401);
    expect((await fetch(`${wb.url}/api/shares/${b.body.id}`, { method: 'DELETE' })).status).toBe(401);
  });

  it('accept only a strict base64url signature', async () => {
    await wb.store.create('strict.ipynb');
    const { body } = await share('strict.ipynb');
    const [payload, sig] = tokenOf(body.url).split('.') as [string, string];
    expect((await fetch(`${wb.url}/share/${payload}.${sig}`)).status).toBe(200);
    for (const variant of [`${sig}=`, `${sig}%3D`, `${sig}~`, `${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`]) {
      expect((await fetch(`${wb.url}/share/${payload}.${variant}`)).status, variant).toBe(403);
    }
  });

  it('are built from the Host, never from a missing Origin, or from TRAILBOOK_PUBLIC_URL', async () => {
    await wb.store.create('origin.ipynb');
    // A script with the token: no Origin header at all.
    const res = await fetch(`${wb.url}/api/notebooks/origin.ipynb/share`, {
      method: 'POST',
      headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(201);
    const made = await json(res);
    expect(made.url.startsWith(`${wb.url}/share/`)).toBe(true);
    expect(made.url).not.toMatch(/^null/);

    const pub = await startTestWorkbench({ publicUrl: 'https://trailbook.example.com/' });
    try {
      await pub.store.create('p.ipynb');
      const viaPublic = await json(await browserFetch(pub, '/api/notebooks/p.ipynb/share', { method: 'POST', body: {} }));
      expect(viaPublic.url).toMatch(/^https:\/\/trailbook\.example\.com\/share\/[\w-]+\.[\w-]+$/);
      expect(viaPublic.exportUrl).toBe(`${viaPublic.url}/export.html`);
    } finally {
      await pub.stop();
    }
  });

  it('answer 400 instead of a broken link when the request has no Host', async () => {
    await wb.store.create('nohost.ipynb');
    const { port } = new URL(wb.url);
    const status = await new Promise<number>((resolve, reject) => {
      // HTTP/1.0 allows a request without Host; fetch always sends one.
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/api/notebooks/nohost.ipynb/share', setHost: false, headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('{}');
    });
    expect([400, 421]).toContain(status);
  });

  it('give a notebook without an id one on first share, keeping the rest of the file', async () => {
    const legacy = { ...emptyNotebook(), cells: [{ id: 'c1', cell_type: 'code' as const, source: 'let x = 1\n', metadata: {}, execution_count: 1, outputs: [] }] };
    const text = serialiseNotebook(legacy);
    expect(JSON.parse(text).metadata.trailbook).toBeUndefined();
    await writeFile(join(wb.dir, 'legacy.ipynb'), text);
    const made = await share('legacy.ipynb');
    const onDisk = JSON.parse(await readFile(join(wb.dir, 'legacy.ipynb'), 'utf8'));
    expect(onDisk.metadata.trailbook.id).toBe(made.body.notebookId);
    expect(onDisk.cells).toEqual(JSON.parse(text).cells);
    // The editor that had it open carries on with the version the share answered.
    const saved = await browserFetch(wb, '/api/notebooks/legacy.ipynb', { method: 'PUT', body: { notebook: legacy, version: made.body.version } });
    expect(saved.status).toBe(200);
    expect(JSON.parse(await readFile(join(wb.dir, 'legacy.ipynb'), 'utf8')).metadata.trailbook.id).toBe(made.body.notebookId);
    // A second share keeps the id.
    expect((await share('legacy.ipynb')).body.notebookId).toBe(made.body.notebookId);
  });

  it('keep the secret and the registry out of the notebooks directory', async () => {
    expect((await readdir(wb.dir)).length).toBeGreaterThan(5);
    expect((await readdir(wb.dir)).filter((f) => !f.endsWith('.ipynb'))).toEqual([]);
  });
});
