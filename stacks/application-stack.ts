import { CfnOutput, Duration, Fn, IgnoreMode, RemovalPolicy, Stack, type StackProps, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { acknowledge } from './nag.ts';
import type { Construct } from 'constructs';
import { APP_PORT, dataSourceEnvironment, type TrailbookConfig } from './config.ts';
import { dockerignorePatterns, REPO_ROOT } from './paths.ts';

/** The image's non-root user (the `node` user of the official Node.js image). */
export const APP_UID = '1000';
export const NOTEBOOK_MOUNT_PATH = '/data/notebooks';

export interface ApplicationStackProps extends StackProps {
  config: TrailbookConfig;
  vpc: ec2.IVpc;
  albSecurityGroup: ec2.ISecurityGroup;
  workbenchSecurityGroup: ec2.ISecurityGroup;
  workloadSubnets: ec2.SubnetSelection;
  assignPublicIp: boolean;
  taskRole: iam.IRole;
  mcpFunctionUrl: lambda.IFunctionUrl;
}

/** The workbench: one Fargate task behind an ALB, notebooks on EFS, token from Secrets Manager. */
export class ApplicationStack extends Stack {
  readonly cluster: ecs.Cluster;
  readonly service: ecs.FargateService;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly fileSystem: efs.FileSystem;

  constructor(scope: Construct, id: string, props: ApplicationStackProps) {
    super(scope, id, props);
    const { config, vpc } = props;

    // Imported here (not the IamStack object) so grants made below become policies in this stack:
    // editing the role's own policy would make IamStack depend on this stack, and IamStack is deployed first.
    const taskRole = iam.Role.fromRoleArn(this, 'TaskRole', props.taskRole.roleArn, { mutable: true });

    const tokenSecret = new secretsmanager.Secret(this, 'WorkbenchToken', {
      description: 'Trailbook workbench access token (TRAILBOOK_TOKEN)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });

    // Notebooks survive task replacement: encrypted EFS, reached only through an access point as the image's user.
    const efsSecurityGroup = new ec2.SecurityGroup(this, 'NotebooksFsSecurityGroup', {
      vpc,
      description: 'Trailbook notebooks file system: NFS from the workbench task only',
      allowAllOutbound: false,
    });
    this.fileSystem = new efs.FileSystem(this, 'NotebooksFs', {
      vpc,
      vpcSubnets: props.workloadSubnets,
      securityGroup: efsSecurityGroup,
      encrypted: true,
      enableAutomaticBackups: true,
      lifecyclePolicy: efs.LifecyclePolicy.AFTER_30_DAYS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.fileSystem.connections.allowDefaultPortFrom(props.workbenchSecurityGroup, 'NFS from the workbench task');
    const accessPoint = this.fileSystem.addAccessPoint('NotebooksAccessPoint', {
      path: '/notebooks',
      createAcl: { ownerUid: APP_UID, ownerGid: APP_UID, permissions: '750' },
      posixUser: { uid: APP_UID, gid: APP_UID },
    });
    // With a file system policy, EFS refuses anonymous (non-IAM) mounts: only the task role, over TLS. (The access
    // point cannot be named here — it depends on the file system — so the role's own policy pins it instead.)
    this.fileSystem.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'TaskRoleViaAccessPointOverTls',
        principals: [new iam.ArnPrincipal(props.taskRole.roleArn)],
        actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
        conditions: { Bool: { 'aws:SecureTransport': 'true' } },
      }),
    );
    const mountGrant = taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'MountNotebooksViaAccessPoint',
        actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
        resources: [this.fileSystem.fileSystemArn],
        conditions: { StringEquals: { 'elasticfilesystem:AccessPointArn': accessPoint.accessPointArn } },
      }),
    );

    this.cluster = new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });

    const taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: config.taskCpu,
      memoryLimitMiB: config.taskMemoryMb,
      taskRole,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
      volumes: [
        {
          name: 'notebooks',
          efsVolumeConfiguration: {
            fileSystemId: this.fileSystem.fileSystemId,
            transitEncryption: 'ENABLED',
            authorizationConfig: { accessPointId: accessPoint.accessPointId, iam: 'ENABLED' },
          },
        },
      ],
    });

    const logGroup = new logs.LogGroup(this, 'WorkbenchLogs', {
      retention: logs.RetentionDays.TWO_WEEKS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const image = ecs.ContainerImage.fromAsset(REPO_ROOT, {
      file: 'Dockerfile',
      platform: Platform.LINUX_AMD64,
      ignoreMode: IgnoreMode.DOCKER,
      exclude: dockerignorePatterns(),
    });
    const bedrockRegion = config.bedrockRegion ?? this.region;
    const container = taskDefinition.addContainer('workbench', {
      image,
      essential: true,
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'workbench', logGroup }),
      portMappings: [{ containerPort: APP_PORT, protocol: ecs.Protocol.TCP }],
      environment: {
        ...dataSourceEnvironment(config, this.region),
        AWS_REGION: this.region,
        TRAILBOOK_NOTEBOOK_DIR: NOTEBOOK_MOUNT_PATH,
        TRAILBOOK_CACHE_DIR: '/tmp/trailbook-cache',
        TRAILBOOK_MCP_URL: props.mcpFunctionUrl.url,
        TRAILBOOK_MCP_SIGV4: String(config.mcpAuthType === 'AWS_IAM'),
        TRAILBOOK_BEDROCK_MODEL_ID: config.bedrockModelId,
        TRAILBOOK_BEDROCK_REGION: bedrockRegion,
        // The ALB appends the client to X-Forwarded-For and sets X-Forwarded-Proto (failed-login throttle, Secure cookies).
        TRAILBOOK_TRUST_PROXY: 'true',
      },
      secrets: { TRAILBOOK_TOKEN: ecs.Secret.fromSecretsManager(tokenSecret) },
    });
    container.addMountPoints({ sourceVolume: 'notebooks', containerPath: NOTEBOOK_MOUNT_PATH, readOnly: false });

    // One task: kernels live in the task's memory, so a second task would split users across two kernel sets.
    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition,
      desiredCount: 1,
      minHealthyPercent: 0,
      maxHealthyPercent: 100,
      securityGroups: [props.workbenchSecurityGroup],
      vpcSubnets: props.workloadSubnets,
      assignPublicIp: props.assignPublicIp,
      circuitBreaker: { rollback: true },
      healthCheckGracePeriod: Duration.seconds(120),
    });
    // The first task mounts EFS at start: the mount targets and the role's mount permission must exist by then.
    this.service.node.addDependency(this.fileSystem.mountTargetsAvailable);
    if (mountGrant.policyDependable) this.service.node.addDependency(mountGrant.policyDependable);


    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc,
      internetFacing: true,
      securityGroup: props.albSecurityGroup,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      dropInvalidHeaderFields: true,
      // Cells can run for minutes while the notebook WebSocket stays quiet.
      idleTimeout: Duration.minutes(15),
    });
    // ALB log delivery needs the region's ELB account, so an environment-agnostic synth (no region) cannot enable it.
    let accessLogs: s3.Bucket | undefined;
    if (!Token.isUnresolved(this.region)) {
      accessLogs = new s3.Bucket(this, 'AccessLogs', {
        encryption: s3.BucketEncryption.S3_MANAGED, // the only encryption ALB log delivery supports
        enforceSSL: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        lifecycleRules: [{ expiration: Duration.days(90) }],
        removalPolicy: RemovalPolicy.RETAIN,
      });
      this.loadBalancer.logAccessLogs(accessLogs, 'alb');
    } else {
      acknowledge(
        this.loadBalancer,
        'AwsSolutions-ELB2',
        'Environment-agnostic synth (no region in context or CDK_DEFAULT_REGION): ALB access logs need the region, and are enabled whenever it is known.',
      );
    }

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'TargetGroup', {
      vpc,
      port: APP_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      targets: [this.service],
      deregistrationDelay: Duration.seconds(30),
      healthCheck: {
        path: '/healthcheck',
        healthyHttpCodes: '200',
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });

    // open: false everywhere: the security group (allowed CIDRs only) is the whole ingress policy.
    let scheme = 'http';
    if (config.certificateArn) {
      scheme = 'https';
      this.loadBalancer.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [elbv2.ListenerCertificate.fromArn(config.certificateArn)],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        open: false,
        defaultTargetGroups: [this.targetGroup],
      });
      this.loadBalancer.addListener('Http', {
        port: 80,
        open: false,
        defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
      });
    } else {
      this.loadBalancer.addListener('Http', { port: 80, open: false, defaultTargetGroups: [this.targetGroup] });
    }

    // The Host check (DNS rebinding) serves only these names; /healthcheck answers the ALB's probe by IP anyway.
    container.addEnvironment('TRAILBOOK_ALLOWED_HOSTS', Fn.join(',', [this.loadBalancer.loadBalancerDnsName, ...(config.allowedHosts ?? [])]));

    const baseUrl = `${scheme}://${this.loadBalancer.loadBalancerDnsName}`;
    new CfnOutput(this, 'WorkbenchUrl', { value: `${baseUrl}/`, description: 'Open with ?token=<the WorkbenchTokenSecret value>' });
    new CfnOutput(this, 'HealthCheckUrl', { value: `${baseUrl}/healthcheck` });
    new CfnOutput(this, 'LoadBalancerArn', { value: this.loadBalancer.loadBalancerArn });
    new CfnOutput(this, 'WorkbenchTokenSecretArn', { value: tokenSecret.secretArn, description: 'aws secretsmanager get-secret-value --secret-id <this>' });

    this.suppressNagFindings(tokenSecret, accessLogs, taskDefinition);
  }

  private suppressNagFindings(
    tokenSecret: secretsmanager.Secret,
    accessLogs: s3.Bucket | undefined,
    taskDefinition: ecs.FargateTaskDefinition,
  ): void {
    acknowledge(
      tokenSecret,
      'AwsSolutions-SMG4',
      'A static bearer token users paste once; rotating it would silently lock them out. Rotate by updating the secret and restarting the task.',
    );
    if (accessLogs) acknowledge(accessLogs, 'AwsSolutions-S1', 'This bucket only receives ALB access logs; logging its own access would only log the log writes.');
    acknowledge(
      taskDefinition,
      'AwsSolutions-ECS2',
      'The environment holds non-secret settings only (source, regions, model id, MCP URL); the token comes from Secrets Manager.',
    );
    acknowledge(
      taskDefinition.executionRole!,
      'AwsSolutions-IAM5[Resource::*]',
      'CDK-generated execution role: ecr:GetAuthorizationToken supports only Resource "*"; its other statements name the image repository, log group and secret.',
    );
  }
}
