import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { httpAccess, McpHttpConfigError } from '../../mcp/http-access.ts';
import { checkRequest, generateToken, hostnameOf, LOOPBACK_HOSTNAMES, normaliseOrigin, originPolicy, tokenMatches } from '../../mcp/http-guard.ts';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('HTTP request checks', () => {
  const opts = { token: 'a-token-of-twenty-chars', allowedHostnames: LOOPBACK_HOSTNAMES, originAllowed: originPolicy({ loopback: true, allowed: ['https://nb.example.com'] }) };

  it('pass a loopback request with the token, in that header\'s usual spellings', () => {
    for (const auth of ['Bearer a-token-of-twenty-chars', 'bearer a-token-of-twenty-chars', 'Bearer  a-token-of-twenty-chars ']) {
      expect(checkRequest(req({ host: '127.0.0.1:3001', authorization: auth }), opts)).toBeUndefined();
    }
    expect(checkRequest(req({ host: '[::1]:3001', authorization: 'Bearer a-token-of-twenty-chars', origin: 'https://nb.example.com' }), opts)).toBeUndefined();
  });

  it('check Host, then Origin, then the token', () => {
    expect(checkRequest(req({ host: 'evil.example:3001', origin: 'https://evil.example' }), opts)).toMatchObject({ status: 403, message: expect.stringContaining('Host header "evil.example:3001"') });
    expect(checkRequest(req({}), opts)).toMatchObject({ status: 403, message: expect.stringContaining('Host header (missing)') });
    expect(checkRequest(req({ host: 'localhost:1', origin: 'https://evil.example' }), opts)).toMatchObject({ status: 403 });
    expect(checkRequest(req({ host: 'localhost:1' }), opts)).toMatchObject({ status: 401, headers: { 'www-authenticate': 'Bearer realm="trailbook-mcp"' } });
    expect(checkRequest(req({ host: 'localhost:1', authorization: 'Bearer nope' }), opts)).toMatchObject({ status: 401, headers: { 'www-authenticate': expect.stringContaining('invalid_token') } });
  });

  it('check nothing that was not configured (the workbench mounts the handler behind its own auth)', () => {
    expect(checkRequest(req({ host: 'anything', origin: 'https://evil.example' }), {})).toBeUndefined();
  });

  it('compare tokens of any length and parse hosts and origins strictly', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abc', 'abcd')).toBe(false);
    expect(generateToken()).not.toBe(generateToken());
    expect(hostnameOf('LOCALHOST:80')).toBe('localhost');
    expect(hostnameOf('[::1]:3001')).toBe('::1');
    expect(hostnameOf('a b')).toBeUndefined();
    expect(normaliseOrigin('https://NB.example.com:443')).toBe('https://nb.example.com');
    expect(normaliseOrigin('https://nb.example.com/path')).toBeUndefined();
    expect(normaliseOrigin('file:///tmp/x.html')).toBeUndefined();
    expect(normaliseOrigin('null')).toBeUndefined();
  });
});

describe('HTTP access settings', () => {
  it('take the token from --token before TRAILBOOK_MCP_TOKEN, blank meaning unset', () => {
    expect(httpAccess('127.0.0.1', {}, { TRAILBOOK_MCP_TOKEN: '  ' }).token).toBeUndefined();
    expect(httpAccess('127.0.0.1', { token: 'from-the-flag-0123' }, { TRAILBOOK_MCP_TOKEN: 'from-the-environment' }).token).toBe('from-the-flag-0123');
    expect(httpAccess('::1', {}, {}).token).toBeUndefined();
  });

  it('refuse an open server beyond loopback, weak tokens and unreadable lists', () => {
    expect(() => httpAccess('0.0.0.0', {}, {})).toThrow(McpHttpConfigError);
    expect(() => httpAccess('192.0.2.10', {}, {})).toThrow(/refusing to listen on 192\.0\.2\.10 without a token/);
    expect(() => httpAccess('127.0.0.1', { token: 'short' }, {})).toThrow(/at least 16 characters/);
    expect(() => httpAccess('127.0.0.1', { token: 'has a space in it, long' }, {})).toThrow(/whitespace/);
    expect(() => httpAccess('127.0.0.1', {}, { TRAILBOOK_MCP_ALLOWED_ORIGINS: 'https://ok.example, nb.example.com' })).toThrow(/"nb.example.com" is not an origin/);
    expect(() => httpAccess('127.0.0.1', {}, { TRAILBOOK_MCP_ALLOWED_HOSTS: 'a/b' })).toThrow(/"a\/b" is not a host name/);
    expect(httpAccess('0.0.0.0', { token: 'x'.repeat(16) }, { TRAILBOOK_MCP_ALLOWED_ORIGINS: 'https://a.example,https://b.example:8443/', TRAILBOOK_MCP_ALLOWED_HOSTS: 'MCP.example.com' })).toEqual({
      token: 'x'.repeat(16),
      allowedOrigins: ['https://a.example', 'https://b.example:8443'],
      allowedHostnames: ['mcp.example.com'],
    });
  });
});
