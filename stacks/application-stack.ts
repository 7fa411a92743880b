import { Annotations, CfnOutput, Duration, Fn, IgnoreMode, RemovalPolicy, Stack, type StackProps, Token } from 'aws-cdk-lib';
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
import { SignIn, signedOutPage, signInLoadBalancerName } from './sign-in.ts';

/** The image's non-root user (the `node` user of the official Node.js image). */
export const APP_UID = '1000';
export const NOTEBOOK_MOUNT_PATH = '/data/notebooks';
/** TRAILBOOK_STATE_DIR in the task: the share-link secret and registry, on their own EFS access point. */
export const STATE_MOUNT_PATH = '/data/state';

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

/**
 * Why synth warns without a certificate (README "HTTPS"): the listener is plain HTTP, so the sign-in and every
 * notebook cross the network unencrypted.
 */
export const NO_CERTIFICATE_WARNING =
  'NO HTTPS: certificateArn is not set, so the workbench is served over plain HTTP and the access token, session cookie and notebooks cross the network unencrypted. Pass -c certificateArn=<ACM certificate ARN> (README "HTTPS").';

/** The workbench: one Fargate task behind an ALB, notebooks on EFS, people signed in by token or by the ALB. */
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

    // auth=token: one shared token, entered in the login form. With the ALB signing people in there is none.
    const tokenSecret =
      config.auth === 'token'
        ? new secretsmanager.Secret(this, 'WorkbenchToken', {
            description: 'Trailbook workbench access token (TRAILBOOK_TOKEN)',
            generateSecretString: { passwordLength: 48, excludePunctuation: true },
          })
        : undefined;

    // Created before the task: the workbench checks that sign-in tokens were signed for this load balancer.
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc,
      internetFacing: true,
      securityGroup: props.albSecurityGroup,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      dropInvalidHeaderFields: true,
      // Cells can run for minutes while the notebook WebSocket stays quiet.
      idleTimeout: Duration.minutes(15),
      // Cognito compares callback URLs exactly and browsers send the host lower-case: a generated name has capitals.
      ...(config.auth === 'cognito' ? { loadBalancerName: signInLoadBalancerName(config) } : {}),
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
      // Not "anonymous allowed": the policy below admits the task role only, and a file system with a policy refuses
      // anonymous mounts. Left unset, CDK would add a statement giving any principal ClientRootAccess.
      allowAnonymousAccess: true,
    });
    this.fileSystem.connections.allowDefaultPortFrom(props.workbenchSecurityGroup, 'NFS from the workbench task');
    const accessPoint = this.fileSystem.addAccessPoint('NotebooksAccessPoint', {
      path: '/notebooks',
      createAcl: { ownerUid: APP_UID, ownerGid: APP_UID, permissions: '750' },
      posixUser: { uid: APP_UID, gid: APP_UID },
    });
    // The share-link secret and registry outlive the task (a new one must honour the links already handed out), and
    // stay apart from the notebooks: never in the git working copy, never served, owner-only like a local state dir.
    const stateAccessPoint = this.fileSystem.addAccessPoint('StateAccessPoint', {
      path: '/state',
      createAcl: { ownerUid: APP_UID, ownerGid: APP_UID, permissions: '700' },
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
        conditions: { StringEquals: { 'elasticfilesystem:AccessPointArn': [accessPoint.accessPointArn, stateAccessPoint.accessPointArn] } },
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
        {
          name: 'state',
          efsVolumeConfiguration: {
            fileSystemId: this.fileSystem.fileSystemId,
            transitEncryption: 'ENABLED',
            authorizationConfig: { accessPointId: stateAccessPoint.accessPointId, iam: 'ENABLED' },
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
        TRAILBOOK_STATE_DIR: STATE_MOUNT_PATH,
        TRAILBOOK_CACHE_DIR: '/tmp/trailbook-cache',
        TRAILBOOK_MCP_URL: props.mcpFunctionUrl.url,
        TRAILBOOK_MCP_SIGV4: String(config.mcpAuthType === 'AWS_IAM'),
        TRAILBOOK_BEDROCK_MODEL_ID: config.bedrockModelId,
        TRAILBOOK_BEDROCK_REGION: bedrockRegion,
        // The ALB appends the client to X-Forwarded-For and sets X-Forwarded-Proto (failed-login throttle, Secure cookies).
        TRAILBOOK_TRUST_PROXY: 'true',
        ...(config.domainName ? { TRAILBOOK_PUBLIC_URL: `https://${config.domainName}` } : {}),
        ...(config.auth === 'token' ? {} : { TRAILBOOK_AUTH: 'alb', TRAILBOOK_ALB_ARN: this.loadBalancer.loadBalancerArn }),
        ...gitEnvironment(config),
      },
      secrets: {
        ...(tokenSecret ? { TRAILBOOK_TOKEN: ecs.Secret.fromSecretsManager(tokenSecret) } : {}),
        ...gitSecrets(this, config),
      },
    });
    container.addMountPoints(
      { sourceVolume: 'notebooks', containerPath: NOTEBOOK_MOUNT_PATH, readOnly: false },
      { sourceVolume: 'state', containerPath: STATE_MOUNT_PATH, readOnly: false },
    );

    // One task: kernels live in the task's memory, so a second task would split users across two kernel sets.
    // Deploys start the new task before stopping the old one (100/200): no downtime, a short overlap during which
    // sticky sessions keep each browser on its task (README "Deploys").
    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition,
      desiredCount: 1,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      securityGroups: [props.workbenchSecurityGroup],
      vpcSubnets: props.workloadSubnets,
      assignPublicIp: props.assignPublicIp,
      circuitBreaker: { rollback: true },
      healthCheckGracePeriod: Duration.seconds(120),
    });
    // The first task mounts EFS at start: the mount targets and the role's mount permission must exist by then.
    this.service.node.addDependency(this.fileSystem.mountTargetsAvailable);
    if (mountGrant.policyDependable) this.service.node.addDependency(mountGrant.policyDependable);

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
    // During a deploy's overlap a browser stays on the task that holds its kernels and session.
    this.targetGroup.enableCookieStickiness(Duration.hours(12));

    // open: false everywhere: the security group (allowed CIDRs only) is the whole ingress policy.
    let scheme = 'http';
    const forward = elbv2.ListenerAction.forward([this.targetGroup]);
    if (config.certificateArn) {
      scheme = 'https';
      const signIn = config.auth === 'token' ? undefined : new SignIn(this, 'SignIn', { config, loadBalancer: this.loadBalancer, next: forward });
      const https = this.loadBalancer.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [elbv2.ListenerCertificate.fromArn(config.certificateArn)],
        // TLS 1.3 and 1.2 with forward-secret AEAD ciphers only, and post-quantum hybrid key exchange.
        sslPolicy: elbv2.SslPolicy.TLS13_12_RES_PQ,
        open: false,
        defaultAction: signIn?.action ?? forward,
      });
      if (signIn?.cognitoSignOut) {
        signedOutPage(https);
        // Logging out of the workbench ends the ALB's session and Cognito's (workbench/identity/sign-out.ts).
        container.addEnvironment('TRAILBOOK_COGNITO_DOMAIN', signIn.cognitoSignOut.domain);
        container.addEnvironment('TRAILBOOK_COGNITO_CLIENT_ID', signIn.cognitoSignOut.clientId);
      }
      // Browsers that once reached the workbench over HTTPS never try plain HTTP again.
      (https.node.defaultChild as elbv2.CfnListener).listenerAttributes = [
        { key: 'routing.http.response.strict_transport_security.header_value', value: 'max-age=31536000' },
      ];
      this.loadBalancer.addListener('Http', {
        port: 80,
        open: false,
        defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
      });
    } else {
      this.loadBalancer.addListener('Http', { port: 80, open: false, defaultAction: forward });
      Annotations.of(this).addWarningV2('@trailbook/no-https', NO_CERTIFICATE_WARNING);
    }

    // The Host check (DNS rebinding) serves only these names; /healthcheck answers the ALB's probe by IP anyway.
    const hosts = [this.loadBalancer.loadBalancerDnsName, ...(config.domainName ? [config.domainName] : []), ...(config.allowedHosts ?? [])];
    container.addEnvironment('TRAILBOOK_ALLOWED_HOSTS', Fn.join(',', hosts));

    const baseUrl = config.domainName && config.certificateArn ? `https://${config.domainName}` : `${scheme}://${this.loadBalancer.loadBalancerDnsName}`;
    const signInHow = { token: 'the token stored in the WorkbenchTokenSecretArn secret', cognito: 'the Cognito user pool (UserPoolId)', oidc: 'your identity provider' }[config.auth];
    // Never a token in an output or a URL: the token is entered in the login form.
    new CfnOutput(this, 'WorkbenchUrl', { value: `${baseUrl}/`, description: `Sign in with ${signInHow}` });
    new CfnOutput(this, 'HealthCheckUrl', { value: `${baseUrl}/healthcheck` });
    new CfnOutput(this, 'LoadBalancerArn', { value: this.loadBalancer.loadBalancerArn });
    if (tokenSecret) {
      new CfnOutput(this, 'WorkbenchTokenSecretArn', { value: tokenSecret.secretArn, description: 'aws secretsmanager get-secret-value --secret-id <this> --query SecretString --output text' });
    }

    this.suppressNagFindings(tokenSecret, accessLogs, taskDefinition);
  }

  private suppressNagFindings(
    tokenSecret: secretsmanager.Secret | undefined,
    accessLogs: s3.Bucket | undefined,
    taskDefinition: ecs.FargateTaskDefinition,
  ): void {
    if (tokenSecret) {
      acknowledge(
        tokenSecret,
        'AwsSolutions-SMG4',
        'A static bearer token users paste once; rotating it would silently lock them out. Rotate by updating the secret and restarting the task.',
      );
    }
    if (accessLogs) acknowledge(accessLogs, 'AwsSolutions-S1', 'This bucket only receives ALB access logs; logging its own access would only log the log writes.');
    acknowledge(
      taskDefinition,
      'AwsSolutions-ECS2',
      'The environment holds non-secret settings only (source, regions, model id, MCP URL, git remote); the token and git credentials come from Secrets Manager.',
    );
    acknowledge(
      taskDefinition.executionRole!,
      'AwsSolutions-IAM5[Resource::*]',
      'CDK-generated execution role: ecr:GetAuthorizationToken supports only Resource "*"; its other statements name the image repository, log group and secret.',
    );
  }
}

/** TRAILBOOK_GIT_* settings when the notebooks live in a git repository (credentials are secrets, below). */
function gitEnvironment(config: TrailbookConfig): Record<string, string> {
  if (!config.gitRemote) return {};
  return {
    TRAILBOOK_GIT_REMOTE: config.gitRemote,
    TRAILBOOK_GIT_BRANCH: config.gitBranch,
    TRAILBOOK_GIT_PATH: config.gitPath,
    ...(config.gitUsername ? { TRAILBOOK_GIT_USERNAME: config.gitUsername } : {}),
  };
}

/** The git token or deploy key, injected by ECS from Secrets Manager (the execution role may read just that secret). */
function gitSecrets(scope: Construct, config: TrailbookConfig): Record<string, ecs.Secret> {
  // A complete ARN ends in the 6-character suffix Secrets Manager adds; a partial one is granted with a wildcard for it.
  const secret = (id: string, arn: string) =>
    /-[A-Za-z0-9]{6}$/.test(arn) ? secretsmanager.Secret.fromSecretCompleteArn(scope, id, arn) : secretsmanager.Secret.fromSecretPartialArn(scope, id, arn);
  if (config.gitTokenSecretArn) return { TRAILBOOK_GIT_TOKEN: ecs.Secret.fromSecretsManager(secret('GitToken', config.gitTokenSecretArn)) };
  if (config.gitSshKeySecretArn) return { TRAILBOOK_GIT_SSH_KEY: ecs.Secret.fromSecretsManager(secret('GitSshKey', config.gitSshKeySecretArn)) };
  return {};
}
