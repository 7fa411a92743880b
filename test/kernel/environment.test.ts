import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelEnvironment } from '../../kernel/environment.ts';
import { resultOf, startKernel } from './helpers.ts';

describe('kernel environment allow-list', () => {
  it('keeps locale, AWS and data settings, and nothing else', () => {
    expect(
      kernelEnvironment({
        PATH: '/bin',
        LC_ALL: 'C',
        AWS_REGION: 'eu-west-1',
        AWS_ENDPOINT_URL_ATHENA: 'http://127.0.0.1:1',
        ECS_CONTAINER_METADATA_URI_V4: 'http://169.254.170.2/v4',
        TRAILBOOK_SOURCE: 'files',
        TRAILBOOK_TOKEN: 'owner-token',
        TRAILBOOK_SHARE_SECRET: 'share-secret',
        TRAILBOOK_MCP_TOKEN: 'mcp-token',
        TRAILBOOK_PORT: '8888',
        NODE_OPTIONS: '--import tsx',
        GITHUB_TOKEN: 'x',
        UNSET: undefined,
      }),
    ).toEqual({
      PATH: '/bin',
      LC_ALL: 'C',
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL_ATHENA: 'http://127.0.0.1:1',
      ECS_CONTAINER_METADATA_URI_V4: 'http://169.254.170.2/v4',
      TRAILBOOK_SOURCE: 'files',
    });
  });

  it('passes the MCP bearer token only to a kernel pointed at a remote MCP server', () => {
    const env = { TRAILBOOK_MCP_TOKEN: 'mcp-token', TRAILBOOK_TOKEN: 'owner-token' };
    expect(kernelEnvironment(env)).toEqual({});
    expect(kernelEnvironment({ ...env, TRAILBOOK_MCP_URL: 'http://127.0.0.1:3000/mcp' })).toEqual({
      TRAILBOOK_MCP_URL: 'http://127.0.0.1:3000/mcp',
      TRAILBOOK_MCP_TOKEN: 'mcp-token',
    });
  });
});

describe('a cell reading process.env', () => {
  const set = {
    TRAILBOOK_TOKEN: 'owner-token-0123456789',
    TRAILBOOK_SHARE_SECRET: 'share-secret-0123456789',
    TRAILBOOK_MCP_TOKEN: 'mcp-token-0123456789',
    SOME_DEPLOYMENT_SECRET: 'deployment-secret',
    AWS_REGION: 'eu-central-1',
  };
  const saved: Record<string, string | undefined> = {};
  let env: Record<string, string>;
  let close: () => Promise<void> = async () => {};
  beforeAll(async () => {
    for (const [k, v] of Object.entries(set)) [saved[k], process.env[k]] = [process.env[k], v];
    const started = await startKernel({}, { env: { TRAILBOOK_DATA_DIR: '/explicit/data' } });
    close = started.close;
    const reply = await started.kernel.execute({ code: '({ ...process.env })' });
    env = resultOf(reply.outputs)!['application/json'] as Record<string, string>;
  });
  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
    await close();
  });

  it('does not see the workbench token, share secret or other variables', () => {
    const leaked = Object.entries(env).filter(([, v]) => Object.values(set).slice(0, 4).some((secret) => v.includes(secret)));
    expect(leaked).toEqual([]);
    expect(Object.keys(env)).not.toContain('TRAILBOOK_TOKEN');
    expect(Object.keys(env)).not.toContain('NODE_OPTIONS');
  });

  it('sees the AWS region, PATH and explicitly passed settings', () => {
    expect(env).toMatchObject({ AWS_REGION: 'eu-central-1', PATH: process.env.PATH, TRAILBOOK_DATA_DIR: '/explicit/data' });
  });
});
