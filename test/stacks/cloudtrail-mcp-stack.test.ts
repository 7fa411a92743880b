import { existsSync, readdirSync, statSync } from 'node:fs';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { CloudTrailMcpStack } from '../../stacks/cloudtrail-mcp-stack.ts';
import { IamStack } from '../../stacks/iam-stack.ts';
import { configOf, newApp } from './support.ts';
import { INVICTUS as DATASET } from '../fixtures/cloudtrail/index.ts';

const run = promisify(execFile);

function mcp(context: Record<string, unknown> = {}) {
  const app = newApp(context);
  const config = configOf(app);
  const env = { account: config.account, region: config.region };
  const iam = new IamStack(app, 'Iam', { env, config });
  const stack = new CloudTrailMcpStack(app, 'Mcp', { env, config, role: iam.mcpFunctionRole });
  const assembly = app.synth();
  return { stack, iam, assembly, template: Template.fromJSON(assembly.getStackByName('Mcp').template) };
}

// Bundled once with the default settings; the asset cache makes the NONE variant reuse the bundle.
const defaults = mcp();

// Whole-app synths on a shared two-core machine: generous time.
describe('CloudTrailMcpStack', { timeout: 180_000 }, () => {
  it('runs the handler on Node.js 22 with 1024 MB, a 15-minute timeout and the IamStack role', () => {
    defaults.template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'trailbook-cloudtrail-mcp',
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      MemorySize: 1024,
      Timeout: 900,
      Role: { 'Fn::ImportValue': Match.stringLikeRegexp('McpFunctionRole') },
      Environment: { Variables: Match.objectLike({ TRAILBOOK_SOURCE: 'lookup', TRAILBOOK_REGIONS: 'eu-west-1' }) },
    });
  });

  it('bundles the handler with local esbuild into one ESM file', () => {
    const fn = Object.values(defaults.template.findResources('AWS::Lambda::Function'))[0];
    // The code's S3 key is the asset hash; the staged bundle sits beside the templates as asset.<hash>.
    const hash = String(fn.Properties.Code.S3Key).replace(/\.zip$/, '');
    const assetDir = path.join(defaults.assembly.directory, `asset.${hash}`);
    expect(existsSync(path.join(assetDir, 'index.mjs'))).toBe(true);
    expect(statSync(path.join(assetDir, 'index.mjs')).size).toBeGreaterThan(100);
    expect(readdirSync(assetDir).filter((file) => !file.startsWith('index.mjs'))).toEqual([]);
  });

  it('produces a bundle that answers MCP over a Function URL event on its own', async () => {
    const fn = Object.values(defaults.template.findResources('AWS::Lambda::Function'))[0];
    const bundle = path.join(defaults.assembly.directory, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`, 'index.mjs');
    const call = async (message: object) => {
      // A child process in the bundle's directory: nothing from this repo's node_modules is resolvable, as in Lambda.
      const { stdout } = await run(process.execPath, [path.join(import.meta.dirname, 'fixtures/invoke-bundle.mjs'), pathToFileURL(bundle).href, JSON.stringify(message)], {
        cwd: path.dirname(bundle),
        env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1', TRAILBOOK_SOURCE: 'files', TRAILBOOK_DATA_DIR: DATASET, TRAILBOOK_CACHE_DIR: path.join(path.dirname(bundle), 'cache') },
        timeout: 30_000,
      });
      const [prelude, body] = stdout.split('\0'.repeat(8));
      return { prelude: JSON.parse(prelude), body };
    };
    const init = await call({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bundle-test', version: '1' } } });
    expect(init.prelude.statusCode).toBe(200);
    expect(init.body).toContain('"serverInfo"');
    const tools = await call({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
    expect(tools.body).toContain('lookup_cloudtrail_events');
  });

  it('serves a RESPONSE_STREAM Function URL with AWS_IAM auth by default', () => {
    defaults.template.resourceCountIs('AWS::Lambda::Url', 1);
    defaults.template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM', InvokeMode: 'RESPONSE_STREAM' });
    // No public permission exists unless auth is NONE.
    defaults.template.resourceCountIs('AWS::Lambda::Permission', 0);
    defaults.template.hasOutput('McpFunctionUrl', {});
  });

  it('uses auth NONE only when the context says so', () => {
    const open = mcp({ mcpAuthType: 'NONE' }).template;
    open.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE', InvokeMode: 'RESPONSE_STREAM' });
    open.hasResourceProperties('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunctionUrl', FunctionUrlAuthType: 'NONE', Principal: '*' });
  });

  it('keeps the function log group, named for the role grant, for 30 days', () => {
    defaults.template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/lambda/trailbook-cloudtrail-mcp', RetentionInDays: 30 });
    defaults.template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^LogGroup') } },
    });
  });

  it('depends only on IamStack', () => {
    expect(defaults.stack.dependencies.map((stack) => stack.stackName)).toEqual(['Iam']);
  });
});
