import { type App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from './nag.ts';
import { ApplicationStack } from './application-stack.ts';
import { CloudTrailMcpStack } from './cloudtrail-mcp-stack.ts';
import type { TrailbookConfig } from './config.ts';
import { IamStack } from './iam-stack.ts';
import { InfrastructureStack } from './infrastructure-stack.ts';
import { MonitoringStack } from './monitoring-stack.ts';

export interface TrailbookStacks {
  infrastructure: InfrastructureStack;
  iam: IamStack;
  mcp: CloudTrailMcpStack;
  application: ApplicationStack;
  monitoring: MonitoringStack;
}

/**
 * Adds the five stacks to `app`. Dependencies run one way only:
 * Infrastructure, Iam → CloudTrailMcp → Application → Monitoring.
 */
export function addTrailbookStacks(app: App, config: TrailbookConfig): TrailbookStacks {
  const env = config.account || config.region ? { account: config.account, region: config.region } : undefined;
  const name = (suffix: string) => `${config.stackPrefix}-${suffix}`;

  const infrastructure = new InfrastructureStack(app, name('Infrastructure'), {
    env,
    config,
    description: 'Trailbook network: VPC and security groups',
  });
  const iam = new IamStack(app, name('Iam'), { env, config, description: 'Trailbook least-privilege roles' });
  const mcp = new CloudTrailMcpStack(app, name('CloudTrailMcp'), {
    env,
    config,
    role: iam.mcpFunctionRole,
    description: 'Trailbook CloudTrail MCP server on Lambda (Function URL, response streaming)',
  });
  const application = new ApplicationStack(app, name('Application'), {
    env,
    config,
    vpc: infrastructure.vpc,
    albSecurityGroup: infrastructure.albSecurityGroup,
    workbenchSecurityGroup: infrastructure.workbenchSecurityGroup,
    workloadSubnets: infrastructure.workloadSubnets,
    assignPublicIp: infrastructure.assignPublicIp,
    taskRole: iam.workbenchTaskRole,
    mcpFunctionUrl: mcp.functionUrl,
    description: 'Trailbook workbench on ECS Fargate behind an ALB, notebooks on EFS',
  });
  const monitoring = new MonitoringStack(app, name('Monitoring'), {
    env,
    config,
    mcpFunction: mcp.function,
    service: application.service,
    loadBalancer: application.loadBalancer,
    targetGroup: application.targetGroup,
    description: 'Trailbook CloudWatch dashboard',
  });

  Tags.of(app).add('project', 'trailbook');
  if (config.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { infrastructure, iam, mcp, application, monitoring };
}
