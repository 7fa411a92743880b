import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Git's smart HTTP protocol, served the way real hosts do it: `git http-backend` run as a CGI program for each
 * request, from a tiny Node HTTP server on 127.0.0.1. Requests must carry HTTP Basic auth with `token` as the
 * password (like a GitHub token); the user becomes REMOTE_USER, which is what lets http-backend accept pushes.
 */

export interface GitHttpServer {
  /** Base URL: clone `${url}/<repo>.git`. */
  url: string;
  /** Every request's method, path and whether it was authorised. */
  requests: Array<{ method: string; path: string; user?: string; authorised: boolean }>;
  close(): Promise<void>;
}

export async function startGitHttpServer(projectRoot: string, token: string): Promise<GitHttpServer> {
  const requests: GitHttpServer['requests'] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://localhost');
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    const [user, password] = basic ? Buffer.from(basic[1], 'base64').toString().split(/:(.*)/s) : [];
    const authorised = password === token;
    requests.push({ method: req.method!, path: url.pathname, user, authorised });
    if (!authorised) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end('authentication required');
      return;
    }
    const cgi = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: projectRoot,
        GIT_HTTP_EXPORT_ALL: '1',
        REQUEST_METHOD: req.method,
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        REMOTE_USER: user,
        REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    req.pipe(cgi.stdin);
    // CGI output: header lines, a blank line, then the body.
    let head = Buffer.alloc(0);
    let headerDone = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headerDone) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n') >= 0 ? head.indexOf('\r\n\r\n') : head.indexOf('\n\n');
      if (end < 0) return;
      const separator = head.indexOf('\r\n\r\n') === end ? 4 : 2;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString().split(/\r?\n/)) {
        const colon = line.indexOf(':');
        const [name, value] = [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else headers[name] = value;
      }
      headerDone = true;
      res.writeHead(status, headers);
      res.write(head.subarray(end + separator));
    });
    cgi.on('close', () => res.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
