/**
 * A tiny local HTTP server for AWS JSON 1.1 fakes: parses the JSON body, the X-Amz-Target operation and the
 * SigV4 credential scope (so one server can answer for several regions), records every request with its arrival
 * time, and hands it to the fake's handler.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface JsonRequest {
  /** Arrival time, epoch ms. */
  at: number;
  operation: string;
  region: string;
  headers: IncomingHttpHeaders;
  body: any;
}

export interface JsonReply {
  status?: number;
  body: unknown;
}

export interface JsonFake {
  url: string;
  requests: JsonRequest[];
  close(): Promise<void>;
}

/** `{"__type": "...", "message": "..."}` with HTTP 400, the shape AWS JSON 1.1 services use for errors. */
export const awsError = (type: string, message: string, status = 400): JsonReply => ({ status, body: { __type: type, message } });

export async function startJsonFake(opts: { targetPrefix: string | string[]; handle: (req: JsonRequest) => JsonReply | Promise<JsonReply> }): Promise<JsonFake> {
  const requests: JsonRequest[] = [];
  const prefixes = [opts.targetPrefix].flat();
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const send = (r: JsonReply) => {
      const text = JSON.stringify(r.body);
      res.writeHead(r.status ?? 200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `req-${requests.length}` });
      res.end(text);
    };
    try {
      const target = String(req.headers['x-amz-target'] ?? '');
      const prefix = prefixes.find((p) => target.startsWith(`${p}.`));
      if (req.method !== 'POST' || !prefix) return send(awsError('UnknownOperationException', `unexpected ${req.method} ${target}`));
      if (!String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1')) return send(awsError('SerializationException', 'content-type must be application/x-amz-json-1.1'));
      const auth = String(req.headers.authorization ?? '');
      const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(auth);
      if (!scope) return send(awsError('MissingAuthenticationTokenException', 'Request is missing a SigV4 Authorization header', 403));
      const text = Buffer.concat(chunks).toString('utf8');
      const request: JsonRequest = { at: Date.now(), operation: target.slice(prefix.length + 1), region: scope[1], headers: req.headers, body: text ? JSON.parse(text) : {} };
      requests.push(request);
      send(await opts.handle(request));
    } catch (err) {
      send(awsError('InternalFailure', (err as Error).message, 500));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
