import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { NO_CERTIFICATE_WARNING } from '../../stacks/application-stack.ts';
import { loadConfig } from '../../stacks/config.ts';
import { signInLoadBalancerName } from '../../stacks/sign-in.ts';
import { ACCOUNT, REGION, repoContext, synthTrailbook } from './support.ts';

const CERTIFICATE = `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/0f4f7b8e-1111-2222-3333-444455556666`;
const OIDC_SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:trailbook/oidc-client-AbCdEf`;
const GIT_TOKEN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:trailbook/git-token-Zy12Xw`;
const GIT_KEY = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:trailbook/deploy-key`;
const OIDC = {
  oidcIssuer: 'https://login.example.com',
  oidcAuthorizationEndpoint: 'https://login.example.com/oauth2/authorize',
  oidcTokenEndpoint: 'https://login.example.com/oauth2/token',
  oidcUserInfoEndpoint: 'https://login.example.com/oauth2/userinfo',
  oidcClientId: 'trailbook-workbench',
  oidcClientSecretArn: OIDC_SECRET,
};
// These tests read templates only: skip bundling the MCP Lambda (test/stacks/cloudtrail-mcp-stack.test.ts runs it).
const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

type Resources = Record<string, { Type: string; Properties: any }>;
const resourcesOf = (template: Template) => template.toJSON().Resources as Resources;
const ofType = (template: Template, type: string) => Object.values(resourcesOf(template)).filter((r) => r.Type === type).map((r) => r.Properties);
const idOf = (template: Template, type: string) => Object.keys(resourcesOf(template)).find((id) => resourcesOf(template)[id].Type === type)!;

function containerOf(template: Template) {
  const [task] = ofType(template, 'AWS::ECS::TaskDefinition');
  const [container] = task.ContainerDefinitions;
  const environment = Object.fromEntries(container.Environment.map((e: { Name: string; Value: unknown }) => [e.Name, e.Value]));
  const secrets = Object.fromEntries((container.Secrets ?? []).map((s: { Name: string; ValueFrom: unknown }) => [s.Name, s.ValueFrom]));
  return { environment, secrets };
}

function listener(template: Template, port: number) {
  return ofType(template, 'AWS::ElasticLoadBalancingV2::Listener').find((l) => l.Port === port);
}

/** Every output value and description of every stack, as text: no token may ever appear in one. */
function outputsText(templates: Record<string, Template>): string {
  return Object.values(templates)
    .map((t) => JSON.stringify(t.toJSON().Outputs ?? {}))
    .join('\n');
}

const fromContext = (context: Record<string, unknown>) => loadConfig((key) => ({ ...repoContext(), ...context })[key], {});

// Each synth is a whole app; on the shared two-core machine that takes a while.
describe('sign-in (auth) × certificate', { timeout: 240_000 }, () => {
  describe('auth=token without a certificate (the default)', () => {
    const { app, templates } = synthTrailbook({ ...NO_BUNDLING });
    const application = templates.application;

    it('serves plain HTTP, forwarding to the workbench, and warns loudly at synth', () => {
      expect(listener(application, 443)).toBeUndefined();
      expect(listener(application, 80).DefaultActions).toEqual([{ Type: 'forward', TargetGroupArn: { Ref: expect.stringMatching(/^TargetGroup/) } }]);
      const warnings = Annotations.fromStack(app.node.findChild('Trailbook-Application') as never).findWarning('*', Match.stringLikeRegexp('NO HTTPS'));
      expect(warnings.map((w) => w.entry.data)).toEqual([expect.stringContaining(NO_CERTIFICATE_WARNING)]);
    });

    it('signs in with the token from Secrets Manager in the form, never a token in an output or URL', () => {
      const { environment, secrets } = containerOf(application);
      expect(Object.keys(secrets)).toEqual(['TRAILBOOK_TOKEN']);
      expect(environment.TRAILBOOK_AUTH).toBeUndefined();
      application.hasOutput('WorkbenchTokenSecretArn', { Value: { Ref: Match.stringLikeRegexp('^WorkbenchToken') } });
      application.hasOutput('WorkbenchUrl', { Description: Match.stringLikeRegexp('Sign in with the token stored in the WorkbenchTokenSecretArn secret') });
      expect(outputsText(templates)).not.toMatch(/token=/i);
      expect(ofType(application, 'AWS::Cognito::UserPool')).toEqual([]);
    });

    it('deploys without downtime: the new task starts before the old one stops, browsers stay on their task', () => {
      application.hasResourceProperties('AWS::ECS::Service', {
        DesiredCount: 1,
        DeploymentConfiguration: Match.objectLike({ MinimumHealthyPercent: 100, MaximumPercent: 200, DeploymentCircuitBreaker: { Enable: true, Rollback: true } }),
      });
      application.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
        TargetGroupAttributes: Match.arrayWith([
          { Key: 'stickiness.enabled', Value: 'true' },
          { Key: 'stickiness.type', Value: 'lb_cookie' },
          { Key: 'stickiness.lb_cookie.duration_seconds', Value: String(12 * 3600) },
        ]),
      });
    });
  });

  describe('auth=token with a certificate', () => {
    const { app, templates } = synthTrailbook({ ...NO_BUNDLING, certificateArn: CERTIFICATE, domainName: 'trailbook.example.com' });
    const application = templates.application;

    it('is HTTPS only: a modern TLS policy and HSTS on 443, port 80 only redirects, invalid headers dropped', () => {
      expect(listener(application, 443)).toMatchObject({
        Protocol: 'HTTPS',
        SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09',
        Certificates: [{ CertificateArn: CERTIFICATE }],
        DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: expect.stringMatching(/^TargetGroup/) } }],
        ListenerAttributes: [{ Key: 'routing.http.response.strict_transport_security.header_value', Value: 'max-age=31536000' }],
      });
      expect(listener(application, 80).DefaultActions).toEqual([
        { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } },
      ]);
      application.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
        LoadBalancerAttributes: Match.arrayWith([{ Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' }]),
      });
      expect(Annotations.fromStack(app.node.findChild('Trailbook-Application') as never).findWarning('*', Match.stringLikeRegexp('NO HTTPS'))).toEqual([]);
    });

    it('outputs the domain URL and gives the workbench its public URL and host', () => {
      application.hasOutput('WorkbenchUrl', { Value: 'https://trailbook.example.com/' });
      const { environment } = containerOf(application);
      expect(environment.TRAILBOOK_PUBLIC_URL).toBe('https://trailbook.example.com');
      expect(JSON.stringify(environment.TRAILBOOK_ALLOWED_HOSTS)).toContain('trailbook.example.com');
      expect(outputsText(templates)).not.toMatch(/token=/i);
    });
  });

  describe('auth=cognito with a certificate, notebooks in git over HTTPS, alarms by email', () => {
    const { templates } = synthTrailbook({
      ...NO_BUNDLING,
      auth: 'cognito',
      certificateArn: CERTIFICATE,
      domainName: 'trailbook.example.com',
      gitRemote: 'https://github.com/acme/cloudtrail-notebooks.git',
      gitTokenSecretArn: GIT_TOKEN,
      alarmEmail: 'oncall@example.com',
    });
    const application = templates.application;

    it('creates a user pool people are invited to (no self sign-up, MFA, strong passwords, threat protection), kept on delete', () => {
      application.hasResource('AWS::Cognito::UserPool', {
        DeletionPolicy: 'Retain',
        Properties: Match.objectLike({
          AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
          UsernameAttributes: ['email'],
          MfaConfiguration: 'ON',
          EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
          UserPoolTier: 'PLUS',
          Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 12, RequireSymbols: true, RequireNumbers: true, RequireUppercase: true, RequireLowercase: true }) },
        }),
      });
      application.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: `trailbook-${ACCOUNT}` });
      application.hasOutput('UserPoolId', { Description: Match.stringLikeRegexp('admin-create-user') });
    });

    it('authenticates on the HTTPS listener through Cognito, then forwards; callbacks for the domain and the ALB name', () => {
      const [client] = ofType(application, 'AWS::Cognito::UserPoolClient');
      expect(client).toMatchObject({ GenerateSecret: true, AllowedOAuthFlows: ['code'], AllowedOAuthScopes: ['openid', 'email', 'profile'], SupportedIdentityProviders: ['COGNITO'] });
      const loadBalancer = idOf(application, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
      expect(client.CallbackURLs).toEqual([
        'https://trailbook.example.com/oauth2/idpresponse',
        { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [loadBalancer, 'DNSName'] }, '/oauth2/idpresponse']] },
      ]);
      // A fixed lower-case name, so the ALB's DNS name matches the callback as browsers send it.
      application.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Name: signInLoadBalancerName({ stackPrefix: 'Trailbook' }) });
      expect(signInLoadBalancerName({ stackPrefix: 'Trailbook' })).toMatch(/^[a-z0-9-]{1,32}$/);
      const actions = listener(application, 443).DefaultActions;
      expect(actions).toEqual([
        expect.objectContaining({ Order: 1, Type: 'authenticate-cognito', AuthenticateCognitoConfig: expect.objectContaining({ Scope: 'openid email profile', SessionTimeout: String(12 * 3600) }) }),
        expect.objectContaining({ Order: 2, Type: 'forward' }),
      ]);
      expect(listener(application, 80).DefaultActions[0].Type).toBe('redirect');
    });

    it('tells the workbench to verify the ALB sign-in token for this load balancer, with no shared token at all', () => {
      const { environment, secrets } = containerOf(application);
      expect(environment.TRAILBOOK_AUTH).toBe('alb');
      expect(environment.TRAILBOOK_ALB_ARN).toEqual({ Ref: idOf(application, 'AWS::ElasticLoadBalancingV2::LoadBalancer') });
      expect(secrets.TRAILBOOK_TOKEN).toBeUndefined();
      expect(ofType(application, 'AWS::SecretsManager::Secret')).toEqual([]);
      expect(application.toJSON().Outputs.WorkbenchTokenSecretArn).toBeUndefined();
      expect(outputsText(templates)).not.toMatch(/token=/i);
    });

    it('lets logout end the ALB and Cognito sessions: the hosted UI domain and client for the workbench, a registered signed-out page the ALB answers itself', () => {
      const { environment } = containerOf(application);
      const domain = idOf(application, 'AWS::Cognito::UserPoolDomain');
      const client = idOf(application, 'AWS::Cognito::UserPoolClient');
      expect(environment.TRAILBOOK_COGNITO_DOMAIN).toEqual({ 'Fn::Join': ['', [{ Ref: domain }, `.auth.${REGION}.amazoncognito.com`]] });
      expect(environment.TRAILBOOK_COGNITO_CLIENT_ID).toEqual({ Ref: client });
      const loadBalancer = idOf(application, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
      expect(ofType(application, 'AWS::Cognito::UserPoolClient')[0].LogoutURLs).toEqual([
        'https://trailbook.example.com/signed-out',
        { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [loadBalancer, 'DNSName'] }, '/signed-out']] },
      ]);
      // Ahead of the sign-in action, so a person who just signed out is not sent straight back to the hosted UI.
      const [rule] = ofType(application, 'AWS::ElasticLoadBalancingV2::ListenerRule');
      expect(rule).toMatchObject({
        Priority: 1,
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/signed-out'] } }],
        Actions: [{ Type: 'fixed-response', FixedResponseConfig: expect.objectContaining({ StatusCode: '200', ContentType: 'text/html', MessageBody: expect.stringContaining('Signed out') }) }],
      });
      expect(rule.ListenerArn).toEqual({ Ref: expect.stringMatching(/Https/) });
    });

    it('lets the ALB reach the identity provider over HTTPS, and nothing else new', () => {
      const groups = templates.infrastructure.findResources('AWS::EC2::SecurityGroup');
      const alb = Object.values(groups).find((g) => /load balancer/.test(g.Properties.GroupDescription))!;
      expect(alb.Properties.SecurityGroupEgress).toEqual([
        expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' }),
      ]);
    });

    it('keeps the notebooks in the git repository, the token coming from Secrets Manager', () => {
      const { environment, secrets } = containerOf(application);
      expect(environment).toMatchObject({ TRAILBOOK_GIT_REMOTE: 'https://github.com/acme/cloudtrail-notebooks.git', TRAILBOOK_GIT_BRANCH: 'main', TRAILBOOK_GIT_PATH: 'notebooks' });
      expect(secrets.TRAILBOOK_GIT_TOKEN).toBe(GIT_TOKEN);
      expect(JSON.stringify(environment)).not.toContain('secret');
    });

    it('sends alarms to an encrypted SNS topic with the email subscribed', () => {
      templates.monitoring.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    });
  });

  describe('auth=oidc with a certificate, notebooks in git over SSH', () => {
    const { templates } = synthTrailbook({ ...NO_BUNDLING, auth: 'oidc', certificateArn: CERTIFICATE, ...OIDC, gitRemote: 'git@github.com:acme/notebooks.git', gitSshKeySecretArn: GIT_KEY });
    const application = templates.application;

    it('authenticates through the provider, its client secret resolved by CloudFormation from Secrets Manager', () => {
      const actions = listener(application, 443).DefaultActions;
      expect(actions[0]).toMatchObject({
        Type: 'authenticate-oidc',
        AuthenticateOidcConfig: {
          Issuer: OIDC.oidcIssuer,
          AuthorizationEndpoint: OIDC.oidcAuthorizationEndpoint,
          TokenEndpoint: OIDC.oidcTokenEndpoint,
          UserInfoEndpoint: OIDC.oidcUserInfoEndpoint,
          ClientId: OIDC.oidcClientId,
          ClientSecret: `{{resolve:secretsmanager:${OIDC_SECRET}:SecretString:::}}`,
          Scope: 'openid email profile',
        },
      });
      expect(actions[1].Type).toBe('forward');
      expect(ofType(application, 'AWS::Cognito::UserPool')).toEqual([]);
      expect(containerOf(application).environment.TRAILBOOK_AUTH).toBe('alb');
      // No Cognito to log out of: the workbench expires the ALB session and says the provider may remember the person.
      expect(containerOf(application).environment.TRAILBOOK_COGNITO_DOMAIN).toBeUndefined();
      expect(ofType(application, 'AWS::ElasticLoadBalancingV2::ListenerRule')).toEqual([]);
    });

    it('hands the deploy key to the task as a secret; a partial ARN is granted with its suffix wildcard', () => {
      const { secrets } = containerOf(application);
      expect(secrets.TRAILBOOK_GIT_SSH_KEY).toBe(GIT_KEY);
      const statements = ofType(application, 'AWS::IAM::Policy').flatMap((p) => p.PolicyDocument.Statement);
      expect(statements).toContainEqual(
        expect.objectContaining({ Action: expect.arrayContaining(['secretsmanager:GetSecretValue']), Resource: `${GIT_KEY}-??????` }),
      );
    });
  });

  it('refuses cognito or oidc without a certificate (the ALB signs people in on HTTPS only), and oidc without its settings', () => {
    expect(() => fromContext({ auth: 'cognito' })).toThrow(/auth=cognito needs certificateArn/);
    expect(() => fromContext({ auth: 'oidc', ...OIDC })).toThrow(/auth=oidc needs certificateArn/);
    expect(() => fromContext({ auth: 'oidc', certificateArn: CERTIFICATE })).toThrow(/oidcIssuer is required[\s\S]*oidcClientSecretArn is required/);
    expect(() => fromContext({ auth: 'okta', certificateArn: CERTIFICATE })).toThrow(/auth/);
    expect(() => fromContext({ auth: 'cognito', certificateArn: CERTIFICATE, domainName: 'Trailbook.Example.com' })).toThrow(/domainName/);
    expect(() => fromContext({ gitTokenSecretArn: GIT_TOKEN })).toThrow(/gitRemote is not/);
    expect(() => fromContext({ gitRemote: 'https://github.com/a/b.git', gitSshKeySecretArn: GIT_KEY })).toThrow(/needs an SSH gitRemote/);
    expect(() => fromContext({ alarmEmail: 'not-an-address' })).toThrow(/alarmEmail/);
    expect(fromContext({ auth: 'cognito', certificateArn: CERTIFICATE }).auth).toBe('cognito');
  });
});
