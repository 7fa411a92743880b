import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ACCOUNT, REGION, actionsOf, policyDocuments, synthTrailbook } from './support.ts';

const synthesised = synthTrailbook();
const template = synthesised.templates.application;
const resources = () => template.toJSON().Resources as Record<string, { Type: string; Properties: any }>;
const ofType = (type: string) => Object.values(resources()).filter((r) => r.Type === type).map((r) => r.Properties);

// Whole-app synths on a shared two-core machine: generous time.
describe('ApplicationStack', { timeout: 180_000 }, () => {
  it('runs one Fargate task sized from context on a Container Insights cluster', () => {
    template.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', { Cpu: '1024', Memory: '3072', RequiresCompatibilities: ['FARGATE'] });
    template.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: 1,
      LaunchType: 'FARGATE',
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'ENABLED' }) },
    });
    const bigger = synthTrailbook({ taskCpu: '2048', taskMemoryMb: '8192', vpc: 'new' });
    bigger.templates.application.hasResourceProperties('AWS::ECS::TaskDefinition', { Cpu: '2048', Memory: '8192' });
    bigger.templates.application.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
    });
  });

  it('runs the image built from the Dockerfile, with the token from Secrets Manager and the MCP, Bedrock and notebook settings', () => {
    const [task] = ofType('AWS::ECS::TaskDefinition');
    const [container] = task.ContainerDefinitions;
    expect(JSON.stringify(container.Image)).toContain(`cdk-hnb659fds-container-assets-${ACCOUNT}-${REGION}`);
    expect(container.PortMappings).toEqual([{ ContainerPort: 8888, Protocol: 'tcp' }]);
    expect(container.Secrets).toEqual([{ Name: 'TRAILBOOK_TOKEN', ValueFrom: { Ref: expect.stringMatching(/^WorkbenchToken/) } }]);
    const environment = Object.fromEntries(container.Environment.map((e: { Name: string; Value: unknown }) => [e.Name, e.Value]));
    expect(environment).toMatchObject({
      TRAILBOOK_NOTEBOOK_DIR: '/data/notebooks',
      TRAILBOOK_MCP_SIGV4: 'true',
      TRAILBOOK_BEDROCK_MODEL_ID: 'us.anthropic.claude-sonnet-4-20250514-v1:0',
      TRAILBOOK_BEDROCK_REGION: REGION,
      TRAILBOOK_SOURCE: 'lookup',
    });
    expect(JSON.stringify(environment.TRAILBOOK_MCP_URL)).toMatch(/Fn::ImportValue.*FunctionUrl/);
    expect(environment).not.toHaveProperty('TRAILBOOK_TOKEN');
    template.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: Match.objectLike({ PasswordLength: 48 }) });
  });

  it('tells the workbench it is behind the ALB and which Host names to serve (the ALB\'s, plus allowedHosts)', () => {
    const environmentOf = (t: typeof template) => {
      const task = Object.values(t.toJSON().Resources as Record<string, { Type: string; Properties: any }>).find((r) => r.Type === 'AWS::ECS::TaskDefinition')!;
      return Object.fromEntries(task.Properties.ContainerDefinitions[0].Environment.map((e: { Name: string; Value: unknown }) => [e.Name, e.Value]));
    };
    const environment = environmentOf(template);
    expect(environment.TRAILBOOK_TRUST_PROXY).toBe('true');
    const loadBalancer = Object.keys(resources()).find((id) => resources()[id]!.Type === 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    expect(environment.TRAILBOOK_ALLOWED_HOSTS).toEqual({ 'Fn::GetAtt': [loadBalancer, 'DNSName'] });
    const custom = environmentOf(synthTrailbook({ allowedHosts: 'notebooks.example.com,.corp.example' }).templates.application);
    expect(custom.TRAILBOOK_ALLOWED_HOSTS).toEqual({ 'Fn::Join': [',', [{ 'Fn::GetAtt': [loadBalancer, 'DNSName'] }, 'notebooks.example.com,.corp.example']] });
  });

  it('keeps notebooks on an encrypted EFS volume through an access point owned by the image user', () => {
    template.hasResourceProperties('AWS::EFS::FileSystem', { Encrypted: true });
    template.hasResourceProperties('AWS::EFS::AccessPoint', {
      PosixUser: { Uid: '1000', Gid: '1000' },
      RootDirectory: { Path: '/notebooks', CreationInfo: { OwnerUid: '1000', OwnerGid: '1000', Permissions: '750' } },
    });
    const [task] = ofType('AWS::ECS::TaskDefinition');
    expect(task.Volumes).toContainEqual(
      {
        Name: 'notebooks',
        EFSVolumeConfiguration: {
          FilesystemId: { Ref: expect.stringMatching(/^NotebooksFs/) },
          TransitEncryption: 'ENABLED',
          AuthorizationConfig: { AccessPointId: { Ref: expect.stringMatching(/^NotebooksFsNotebooksAccessPoint/) }, IAM: 'ENABLED' },
        },
      },
    );
    expect(task.ContainerDefinitions[0].MountPoints).toContainEqual({ ContainerPath: '/data/notebooks', SourceVolume: 'notebooks', ReadOnly: false });
    // NFS only from the workbench group; mounting only through that access point.
    const nfs = ofType('AWS::EC2::SecurityGroupIngress');
    expect(nfs).toEqual([expect.objectContaining({ FromPort: 2049, ToPort: 2049, SourceSecurityGroupId: { 'Fn::ImportValue': expect.stringMatching(/WorkbenchSecurityGroup/) } })]);
    // The service waits for the mount targets and the mount permission before starting its first task.
    const service = Object.values(template.findResources('AWS::ECS::Service'))[0];
    expect(service.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^NotebooksFsEfsMountTarget/), expect.stringMatching(/^TaskRolePolicy/)]));
    const mount = policyDocuments(template).flatMap((d) => d.Statement).find((s) => s.Sid === 'MountNotebooksViaAccessPoint')!;
    expect(mount.Action).toEqual(['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite']);
    expect(JSON.stringify(mount.Condition)).toContain('elasticfilesystem:AccessPointArn');
    // The file system itself admits only that role, over TLS (no anonymous mounts).
    const [fs] = ofType('AWS::EFS::FileSystem');
    expect(fs.FileSystemPolicy.Statement).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { AWS: { 'Fn::ImportValue': expect.stringMatching(/WorkbenchTaskRole/) } },
        Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
        Condition: { Bool: { 'aws:SecureTransport': 'true' } },
      }),
    ]);
  });

  it('keeps the share-link secret and registry on EFS through their own owner-only access point, so a new task honours old links', () => {
    template.hasResourceProperties('AWS::EFS::AccessPoint', {
      PosixUser: { Uid: '1000', Gid: '1000' },
      RootDirectory: { Path: '/state', CreationInfo: { OwnerUid: '1000', OwnerGid: '1000', Permissions: '700' } },
    });
    const accessPoints = Object.entries(resources()).filter(([, r]) => r.Type === 'AWS::EFS::AccessPoint');
    const stateAccessPoint = accessPoints.find(([, r]) => r.Properties.RootDirectory.Path === '/state')![0];
    const notebooksAccessPoint = accessPoints.find(([, r]) => r.Properties.RootDirectory.Path === '/notebooks')![0];
    const [task] = ofType('AWS::ECS::TaskDefinition');
    expect(task.Volumes).toContainEqual({
      Name: 'state',
      EFSVolumeConfiguration: {
        FilesystemId: { Ref: expect.stringMatching(/^NotebooksFs/) },
        TransitEncryption: 'ENABLED',
        AuthorizationConfig: { AccessPointId: { Ref: stateAccessPoint }, IAM: 'ENABLED' },
      },
    });
    const [container] = task.ContainerDefinitions;
    expect(container.MountPoints).toContainEqual({ ContainerPath: '/data/state', SourceVolume: 'state', ReadOnly: false });
    const environment = Object.fromEntries(container.Environment.map((e: { Name: string; Value: unknown }) => [e.Name, e.Value]));
    expect(environment.TRAILBOOK_STATE_DIR).toBe('/data/state');
    // Not inside the notebooks (git working copy, served files): a separate directory of the file system.
    expect(environment.TRAILBOOK_STATE_DIR.startsWith(`${environment.TRAILBOOK_NOTEBOOK_DIR}/`)).toBe(false);
    // No secret of its own in Secrets Manager: it is generated on the volume (besides the token with auth=token).
    expect(container.Secrets.map((secret: { Name: string }) => secret.Name)).not.toContain('TRAILBOOK_SHARE_SECRET');
    // The task role may mount through these two access points only.
    const mount = policyDocuments(template).flatMap((d) => d.Statement).find((st) => st.Sid === 'MountNotebooksViaAccessPoint')!;
    const allowed = (mount.Condition as { StringEquals: Record<string, unknown> }).StringEquals['elasticfilesystem:AccessPointArn'];
    const arnOf = (id: string) => ({ 'Fn::Join': ['', [`arn:aws:elasticfilesystem:${REGION}:${ACCOUNT}:access-point/`, { Ref: id }]] });
    expect(allowed).toEqual([arnOf(notebooksAccessPoint), arnOf(stateAccessPoint)]);
  });

  it('checks /healthcheck on the app port behind an HTTP listener that is not opened to the world', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8888,
      Protocol: 'HTTP',
      TargetType: 'ip',
      HealthCheckPath: '/healthcheck',
      Matcher: { HttpCode: '200' },
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      SecurityGroups: [{ 'Fn::ImportValue': Match.stringLikeRegexp('AlbSecurityGroup') }],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP', DefaultActions: [Match.objectLike({ Type: 'forward' })] });
    expect(JSON.stringify(template.toJSON())).not.toContain('0.0.0.0/0');
  });

  it('serves HTTPS with the certificate and redirects HTTP when one is configured', () => {
    const certificateArn = `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/0f4f7b8e-1111-2222-3333-444455556666`;
    const https = synthTrailbook({ certificateArn }).templates.application;
    https.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 443, Protocol: 'HTTPS', Certificates: [{ CertificateArn: certificateArn }] });
    https.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [{ Type: 'redirect', RedirectConfig: Match.objectLike({ Protocol: 'HTTPS', Port: '443' }) }],
    });
    https.hasOutput('WorkbenchUrl', { Value: { 'Fn::Join': ['', ['https://', Match.anyValue(), '/']] } });
  });

  it('keeps workbench logs 14 days and writes ALB access logs to an encrypted, TLS-only bucket', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicAcls: true, RestrictPublicBuckets: true }),
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'access_logs.s3.enabled', Value: 'true' }]),
    });
  });

  it('outputs the workbench URL, the health-check URL and the ALB ARN', () => {
    template.hasOutput('WorkbenchUrl', { Value: { 'Fn::Join': ['', ['http://', { 'Fn::GetAtt': [Match.stringLikeRegexp('^LoadBalancer'), 'DNSName'] }, '/']] } });
    template.hasOutput('HealthCheckUrl', { Value: { 'Fn::Join': ['', ['http://', Match.anyValue(), '/healthcheck']] } });
    template.hasOutput('LoadBalancerArn', { Value: { Ref: Match.stringLikeRegexp('^LoadBalancer') } });
  });

  it('stages the Docker context without node_modules, cdk.out, .data, .cache or tests', () => {
    const manifest = JSON.parse(readFileSync(path.join(synthesised.app.outdir, `${synthesised.stacks.application.artifactId}.assets.json`), 'utf8'));
    const images = Object.values(manifest.dockerImages) as Array<{ source: { directory: string } }>;
    expect(images).toHaveLength(1);
    const staged = path.join(synthesised.app.outdir, images[0].source.directory);
    for (const present of ['Dockerfile', 'package.json', 'package-lock.json', 'cli/trailbook.js']) expect(existsSync(path.join(staged, present)), present).toBe(true);
    for (const absent of ['node_modules', 'cdk.out', '.data', '.cache', '.git', 'test', 'stacks']) expect(existsSync(path.join(staged, absent)), absent).toBe(false);
  });

  it('has no wildcard IAM action in any stack of the app', () => {
    for (const [name, stackTemplate] of Object.entries(synthesised.templates)) {
      for (const action of actionsOf(policyDocuments(stackTemplate))) expect(action, `${name}: ${action}`).not.toContain('*');
    }
  });

  it('wires the stacks one way, with no cycles', () => {
    const { stacks } = synthesised;
    const deps = (stack: { dependencies: Array<{ stackName: string }> }) => stack.dependencies.map((d) => d.stackName).sort();
    expect(deps(stacks.infrastructure)).toEqual([]);
    expect(deps(stacks.iam)).toEqual([]);
    expect(deps(stacks.mcp)).toEqual(['Trailbook-Iam']);
    expect(deps(stacks.application)).toEqual(['Trailbook-CloudTrailMcp', 'Trailbook-Iam', 'Trailbook-Infrastructure']);
    expect(deps(stacks.monitoring)).toEqual(['Trailbook-Application', 'Trailbook-CloudTrailMcp']);
  });
});
