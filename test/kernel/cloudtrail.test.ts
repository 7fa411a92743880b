import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFilesStore } from '../../cloudtrail/stores/files.ts';
import { createMcpRequestHandler } from '../../mcp/http.ts';
import type { KernelHandle } from '../../kernel/protocol.ts';
import { errorOf, INVICTUS, resultOf, startKernel } from './helpers.ts';

const json = (outputs: Parameters<typeof resultOf>[0]) => {
  const err = errorOf(outputs);
  if (err) throw new Error(`${err.ename}: ${err.evalue}\n${err.traceback.join('\n')}`);
  return resultOf(outputs)?.['application/json'] as any;
};

describe('cloudtrail global (in-process MCP server)', () => {
  let kernel: KernelHandle;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ kernel, close } = await startKernel({}, { env: { TRAILBOOK_SOURCE: 'files', TRAILBOOK_DATA_DIR: INVICTUS } }));
  });
  afterAll(() => close());

  it('reports the data status', async () => {
    const status = json((await kernel.execute({ code: 'await cloudtrail.status()' })).outputs);
    expect(status).toMatchObject({ source: 'files', location: INVICTUS, count: 2900 });
  });

  it('looks up events, oldest first, following pages', async () => {
    const events = json((await kernel.execute({ code: 'const evs = await cloudtrail.events({ order: "asc", limit: 120, maxResults: 50 }); evs' })).outputs);
    expect(events).toHaveLength(120);
    expect(events[0]).toMatchObject({ id: expect.any(String), time: '2023-07-10T11:42:18.000Z', source: expect.stringMatching(/amazonaws\.com$/), principal: { name: expect.any(String) } });
    expect(events.map((e: { time: string }) => e.time)).toEqual([...events.map((e: { time: string }) => e.time)].sort());
    const page = json((await kernel.execute({ code: 'const { events, next_cursor } = await cloudtrail.lookupEvents({ maxResults: 3 }); ({ n: events.length, more: typeof next_cursor })' })).outputs);
    expect(page).toEqual({ n: 3, more: 'string' });
  });

  it('counts event names and principals, and exposes the raw client', async () => {
    const names = json((await kernel.execute({ code: 'await cloudtrail.eventNames({ top: 5 })' })).outputs);
    expect(names).toHaveLength(5);
    expect(names[0].count).toBeGreaterThanOrEqual(names[1].count);
    const principals = json((await kernel.execute({ code: 'await cloudtrail.principals()' })).outputs);
    expect(principals.reduce((n: number, p: { events: number }) => n + p.events, 0)).toBe(2900);
    const tools = json((await kernel.execute({ code: '(await mcp.listTools()).tools.map((t) => t.name)' })).outputs);
    expect(tools).toEqual(expect.arrayContaining(['lookup_cloudtrail_events', 'get_cloudtrail_event_names']));
  });

  it('turns a tool error into a cell error with the server message', async () => {
    const reply = await kernel.execute({ code: 'await cloudtrail.lookupEvents({ maxResults: -4 })' });
    expect(reply.status).toBe('error');
    expect(errorOf(reply.outputs)!.evalue).toMatch(/max_results/);
  });
});

describe('cloudtrail global over Streamable HTTP with SigV4', () => {
  let server: Server;
  let url: string;
  const seen: { authorization?: string; valid: boolean }[] = [];
  const credentials = { accessKeyId: 'AKIDKERNELTEST', secretAccessKey: 'kernel-test-secret' };

  beforeAll(async () => {
    const store = await openFilesStore(INVICTUS);
    const handle = createMcpRequestHandler({ store, log: () => {} });
    server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks).toString();
      // Verify the signature the way AWS would: re-sign the signed headers and compare.
      const authorization = req.headers.authorization;
      const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/\d{8}\/([^/]+)\/lambda\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(authorization ?? '');
      let valid = false;
      if (m && m[1] === credentials.accessKeyId) {
        const headers: Record<string, string> = {};
        for (const h of m[3]!.split(';')) headers[h] = String(req.headers[h]);
        const u = new URL(req.url!, `http://${req.headers.host}`);
        const amzDate = req.headers['x-amz-date'] as string;
        const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
        const signer = new SignatureV4({ service: 'lambda', region: m[2]!, credentials, sha256: Sha256 });
        const signed = await signer.sign({ method: req.method!, protocol: 'http:', hostname: u.hostname, port: Number(u.port), path: u.pathname, query: {}, headers, body }, { signingDate });
        valid = (signed.headers.authorization as string).endsWith(`Signature=${m[4]}`) && m[2] === 'eu-west-1';
      }
      seen.push({ authorization, valid });
      if (!valid) {
        res.writeHead(403, { 'content-type': 'application/json' }).end('{"message":"Forbidden"}');
        return;
      }
      await handle(req, res, body ? JSON.parse(body) : undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('signs every request and gets events from the remote server', async () => {
    const { kernel, close } = await startKernel({}, {
      env: {
        TRAILBOOK_MCP_URL: url,
        TRAILBOOK_MCP_SIGV4: 'true',
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_REGION: 'eu-west-1',
        AWS_PROFILE: '', // a profile would make the default chain skip the environment credentials
      },
    });
    try {
      const names = json((await kernel.execute({ code: '(await cloudtrail.events({ limit: 4 })).map((e) => e.name)' })).outputs);
      expect(names).toHaveLength(4);
      expect(seen.length).toBeGreaterThanOrEqual(2); // initialize + tools/call at least
      expect(seen.every((s) => s.valid)).toBe(true);
    } finally {
      await close();
    }
  });

  it('fails the cell with a clear error when the server rejects the signature', async () => {
    const { kernel, close } = await startKernel({}, { env: { TRAILBOOK_MCP_URL: url, TRAILBOOK_MCP_SIGV4: 'false' } });
    try {
      const reply = await kernel.execute({ code: 'await cloudtrail.status()' });
      expect(reply.status).toBe('error');
      expect(errorOf(reply.outputs)!.evalue).toMatch(/403|Forbidden/);
      expect(seen.at(-1)).toMatchObject({ authorization: undefined, valid: false });
    } finally {
      await close();
    }
  });
});
