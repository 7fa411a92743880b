import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { APP_PORT, type TrailbookConfig } from './config.ts';

export interface InfrastructureStackProps extends StackProps {
  config: TrailbookConfig;
}

/** Network: the VPC and the two security groups (ALB open only to the allowed CIDRs; workbench open only to the ALB). */
export class InfrastructureStack extends Stack {
  readonly vpc: ec2.IVpc;
  readonly albSecurityGroup: ec2.SecurityGroup;
  readonly workbenchSecurityGroup: ec2.SecurityGroup;
  /** Subnets for the task and EFS: private when we built the VPC, the default VPC's public ones otherwise. */
  readonly workloadSubnets: ec2.SubnetSelection;
  /** The default VPC has no NAT, so the task needs a public IP to reach ECR, Secrets Manager and AWS APIs. */
  readonly assignPublicIp: boolean;

  constructor(scope: Construct, id: string, props: InfrastructureStackProps) {
    super(scope, id, props);
    const { config } = props;

    if (config.useDefaultVpc) {
      this.vpc = ec2.Vpc.fromLookup(this, 'Vpc', { isDefault: true });
      this.workloadSubnets = { subnetType: ec2.SubnetType.PUBLIC };
      this.assignPublicIp = true;
    } else {
      const flowLogGroup = new logs.LogGroup(this, 'VpcFlowLogs', {
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      this.vpc = new ec2.Vpc(this, 'Vpc', {
        maxAzs: 2,
        natGateways: config.natGateways,
        subnetConfiguration: [
          { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
          { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        ],
        flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup) } },
      });
      this.workloadSubnets = { subnetGroupName: 'private' };
      this.assignPublicIp = false;
    }

    this.albSecurityGroup = new ec2.SecurityGroup(this, 'AlbSecurityGroup', {
      vpc: this.vpc,
      description: 'Trailbook load balancer: HTTP(S) from the allowed CIDRs only',
      allowAllOutbound: false,
    });
    for (const cidr of config.allowedCidrs) {
      const peer = cidr.includes(':') ? ec2.Peer.ipv6(cidr) : ec2.Peer.ipv4(cidr);
      this.albSecurityGroup.addIngressRule(peer, ec2.Port.tcp(80), `HTTP from ${cidr}`);
      if (config.certificateArn) this.albSecurityGroup.addIngressRule(peer, ec2.Port.tcp(443), `HTTPS from ${cidr}`);
    }

    this.workbenchSecurityGroup = new ec2.SecurityGroup(this, 'WorkbenchSecurityGroup', {
      vpc: this.vpc,
      description: 'Trailbook workbench task: the app port from the load balancer only',
      // The workbench calls AWS APIs (CloudTrail, Bedrock, the MCP Function URL) over HTTPS.
      allowAllOutbound: true,
    });
    this.workbenchSecurityGroup.addIngressRule(this.albSecurityGroup, ec2.Port.tcp(APP_PORT), 'App port from the load balancer');
    this.albSecurityGroup.addEgressRule(this.workbenchSecurityGroup, ec2.Port.tcp(APP_PORT), 'To the workbench tasks');
    if (config.auth !== 'token') {
      // authenticate-cognito/-oidc: the ALB itself redeems the sign-in code at the provider's token and user-info
      // endpoints, which live at public addresses that are not known in advance.
      this.albSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'To the identity provider (token and user-info endpoints)');
    }
  }
}
