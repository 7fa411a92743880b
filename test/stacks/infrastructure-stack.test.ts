import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { InfrastructureStack } from '../../stacks/infrastructure-stack.ts';
import { ACCOUNT, REGION, configOf, newApp } from './support.ts';

function infrastructure(context: Record<string, unknown> = {}) {
  const app = newApp(context);
  const config = configOf(app);
  const stack = new InfrastructureStack(app, 'Infra', { env: { account: config.account, region: config.region }, config });
  return { stack, template: Template.fromStack(stack) };
}

/** All ingress rules of a template, inline and standalone, as [source, port]. */
function ingress(template: Template, groupLogicalId: string) {
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: any }>;
  const inline = (resources[groupLogicalId].Properties.SecurityGroupIngress ?? []) as any[];
  const standalone = Object.values(resources)
    .filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress' && JSON.stringify(r.Properties.GroupId).includes(groupLogicalId))
    .map((r) => r.Properties);
  return [...inline, ...standalone].map((rule) => ({
    source: rule.CidrIp ?? rule.CidrIpv6 ?? rule.SourceSecurityGroupId,
    from: rule.FromPort,
    to: rule.ToPort,
  }));
}

function logicalId(template: Template, description: RegExp): string {
  const groups = template.findResources('AWS::EC2::SecurityGroup');
  const id = Object.keys(groups).find((key) => description.test(groups[key].Properties.GroupDescription));
  if (!id) throw new Error(`no security group matching ${description}`);
  return id;
}

// Whole-app synths on a shared two-core machine: generous time.
describe('InfrastructureStack', { timeout: 180_000 }, () => {
  it('looks up the default VPC and opens the ALB on port 80 to the allowed CIDR only', () => {
    const { stack, template } = infrastructure();
    expect(stack.vpc.vpcId).toBe('vpc-0a1b2c3d4e5f60718');
    template.resourceCountIs('AWS::EC2::VPC', 0);
    const alb = logicalId(template, /^Trailbook load balancer/);
    expect(ingress(template, alb)).toEqual([{ source: '203.0.113.100/32', from: 80, to: 80 }]);
  });

  it('lets only the ALB security group reach the workbench, on the app port', () => {
    const { template } = infrastructure();
    const alb = logicalId(template, /^Trailbook load balancer/);
    const workbench = logicalId(template, /^Trailbook workbench task/);
    expect(ingress(template, workbench)).toEqual([{ source: { 'Fn::GetAtt': [alb, 'GroupId'] }, from: 8888, to: 8888 }]);
    // The ALB may only send to the workbench: no allow-all egress, one egress rule to the workbench group.
    const albGroup = template.toJSON().Resources[alb].Properties;
    expect(JSON.stringify(albGroup.SecurityGroupEgress ?? [])).not.toContain('0.0.0.0/0');
    const egress = Object.values(template.findResources('AWS::EC2::SecurityGroupEgress')).map((r) => r.Properties);
    expect(egress).toEqual([
      expect.objectContaining({ GroupId: { 'Fn::GetAtt': [alb, 'GroupId'] }, DestinationSecurityGroupId: { 'Fn::GetAtt': [workbench, 'GroupId'] }, FromPort: 8888, ToPort: 8888 }),
    ]);
  });

  it('adds 443 for every allowed CIDR when a certificate is configured', () => {
    const { template } = infrastructure({
      allowedCidrs: '198.51.100.0/24,192.0.2.7/32',
      certificateArn: `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/0f4f7b8e-1111-2222-3333-444455556666`,
    });
    const rules = ingress(template, logicalId(template, /^Trailbook load balancer/));
    expect(rules).toHaveLength(4);
    expect(new Set(rules.map((rule) => rule.source))).toEqual(new Set(['198.51.100.0/24', '192.0.2.7/32']));
    expect(rules.map((rule) => rule.from).sort()).toEqual([443, 443, 80, 80]);
  });

  it('builds a new VPC with public and private subnets, NAT and flow logs when asked', () => {
    const { stack, template } = infrastructure({ vpc: 'new' });
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    template.resourceCountIs('AWS::EC2::FlowLog', 1);
    expect(stack.vpc.publicSubnets).toHaveLength(2);
    expect(stack.vpc.privateSubnets).toHaveLength(2);
    expect(stack.assignPublicIp).toBe(false);
    expect(stack.vpc.selectSubnets(stack.workloadSubnets).subnets).toEqual(stack.vpc.privateSubnets);
  });

  it('builds a new VPC when no account is known (environment-agnostic synth needs no lookup)', () => {
    const { template } = infrastructure({ account: '', region: '' });
    template.resourceCountIs('AWS::EC2::VPC', 1);
  });
});
