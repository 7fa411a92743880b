import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { addTrailbookStacks, type TrailbookStacks } from '../../stacks/app.ts';
import { loadConfig, type TrailbookConfig } from '../../stacks/config.ts';
import { REPO_ROOT } from '../../stacks/paths.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const AZS = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];

/** What `cdk context` would cache after the default-VPC and AZ lookups, so synth runs offline. */
export const LOOKUP_CONTEXT: Record<string, unknown> = {
  [`availability-zones:account=${ACCOUNT}:region=${REGION}`]: AZS,
  [`vpc-provider:account=${ACCOUNT}:filter.isDefault=true:region=${REGION}:returnAsymmetricSubnets=true`]: {
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    vpcCidrBlock: '172.31.0.0/16',
    ownerAccountId: ACCOUNT,
    availabilityZones: [],
    subnetGroups: [
      {
        name: 'Public',
        type: 'Public',
        subnets: AZS.map((availabilityZone, i) => ({
          subnetId: `subnet-0a1b2c3d4e5f6070${i}`,
          cidr: `172.31.${i * 16}.0/20`,
          availabilityZone,
          routeTableId: 'rtb-0a1b2c3d4e5f60718',
        })),
      },
    ],
  },
};

/** The repository's cdk.json context: tests synthesise with the same defaults a deploy uses. */
export function repoContext(): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')).context;
}

/** The real MCP Lambda handler (the `mcpEntry` context default), bundled as a deploy would. */
export const MCP_ENTRY = 'mcp/lambda.ts';

export function newApp(context: Record<string, unknown> = {}): App {
  return new App({
    outdir: mkdtempSync(path.join(tmpdir(), 'trailbook-cdk-')),
    context: { ...repoContext(), account: ACCOUNT, region: REGION, ...LOOKUP_CONTEXT, mcpEntry: MCP_ENTRY, ...context },
  });
}

export function configOf(app: App): TrailbookConfig {
  return loadConfig((key) => app.node.tryGetContext(key), {});
}

export interface SynthesisedTrailbook {
  app: App;
  config: TrailbookConfig;
  stacks: TrailbookStacks;
  templates: Record<keyof TrailbookStacks, Template>;
}

/** Builds and synthesises the whole app once (one esbuild bundle), then reads every template from the assembly. */
export function synthTrailbook(context: Record<string, unknown> = {}): SynthesisedTrailbook {
  const app = newApp(context);
  const config = configOf(app);
  const stacks = addTrailbookStacks(app, config);
  const assembly = app.synth();
  const templates = Object.fromEntries(
    Object.entries(stacks).map(([key, stack]) => [key, Template.fromJSON(assembly.getStackByName((stack as Stack).stackName).template)]),
  ) as Record<keyof TrailbookStacks, Template>;
  return { app, config, stacks, templates };
}

type PolicyDocument = { Statement: Array<{ Action: string | string[]; Resource?: unknown; Effect: string; Condition?: unknown; Sid?: string }> };

/** Every IAM policy document in a template: AWS::IAM::Policy, inline role policies and managed policies. */
export function policyDocuments(template: Template): PolicyDocument[] {
  const documents: PolicyDocument[] = [];
  for (const resource of Object.values(template.toJSON().Resources ?? {}) as Array<{ Type: string; Properties?: any }>) {
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') documents.push(resource.Properties.PolicyDocument);
    if (resource.Type === 'AWS::IAM::Role') for (const inline of resource.Properties?.Policies ?? []) documents.push(inline.PolicyDocument);
  }
  return documents;
}

export function actionsOf(documents: PolicyDocument[]): string[] {
  return documents.flatMap((document) => document.Statement.flatMap((statement) => [statement.Action].flat()));
}

/** Statements of one logical resource's policy (e.g. a role's DefaultPolicy), found by logical-id prefix. */
export function statementsOfPolicy(template: Template, logicalIdPrefix: string): PolicyDocument['Statement'] {
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: any }>;
  return Object.entries(resources)
    .filter(([id, resource]) => id.startsWith(logicalIdPrefix) && resource.Type === 'AWS::IAM::Policy')
    .flatMap(([, resource]) => resource.Properties.PolicyDocument.Statement);
}
