import { CfnOutput, Duration, RemovalPolicy, SecretValue, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { AuthenticateCognitoAction } from 'aws-cdk-lib/aws-elasticloadbalancingv2-actions';
import { Construct } from 'constructs';
import { SIGNED_OUT_PATH } from '../workbench/identity/sign-out.ts';
import type { TrailbookConfig } from './config.ts';

/** How long the ALB's sign-in session lasts before the person passes through the provider again. */
export const SIGN_IN_SESSION = Duration.hours(12);

/** The load balancer name when it must be predictable: Cognito callback URLs are compared lower-case. */
export function signInLoadBalancerName(config: Pick<TrailbookConfig, 'stackPrefix'>): string {
  return `${config.stackPrefix.toLowerCase()}-workbench`.slice(0, 32).replace(/-+$/, '');
}

export interface SignInProps {
  config: TrailbookConfig;
  loadBalancer: elbv2.ApplicationLoadBalancer;
  /** What happens once the person is signed in (forward to the workbench). */
  next: elbv2.ListenerAction;
}

/**
 * The HTTPS listener's default action for auth=cognito (a user pool made here, people added by an admin) or
 * auth=oidc (your provider, its client secret resolved from Secrets Manager by CloudFormation). The ALB then
 * adds `x-amzn-oidc-data`, which the workbench verifies (workbench/identity).
 */
export class SignIn extends Construct {
  readonly action: elbv2.ListenerAction;
  readonly userPool?: cognito.UserPool;
  /**
   * With Cognito, what the workbench needs to end the hosted UI's session at logout (TRAILBOOK_COGNITO_DOMAIN,
   * TRAILBOOK_COGNITO_CLIENT_ID); the ALB's own session cookie it expires itself.
   */
  readonly cognitoSignOut?: { domain: string; clientId: string };

  constructor(scope: Construct, id: string, props: SignInProps) {
    super(scope, id);
    const { config, loadBalancer, next } = props;
    if (config.auth === 'oidc') {
      this.action = elbv2.ListenerAction.authenticateOidc({
        issuer: config.oidcIssuer!,
        authorizationEndpoint: config.oidcAuthorizationEndpoint!,
        tokenEndpoint: config.oidcTokenEndpoint!,
        userInfoEndpoint: config.oidcUserInfoEndpoint!,
        clientId: config.oidcClientId!,
        clientSecret: SecretValue.secretsManager(config.oidcClientSecretArn!),
        scope: config.oidcScope,
        sessionTimeout: SIGN_IN_SESSION,
        // The ALB's egress to the provider is opened in the InfrastructureStack, which owns its security group.
        allowHttpsOutbound: false,
        next,
      });
      return;
    }

    const stack = Stack.of(this);
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: `${config.stackPrefix}-workbench`,
      // People are invited by an administrator (README: admin-create-user); nobody signs themselves up.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true }, fullname: { required: false, mutable: true } },
      passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true, tempPasswordValidity: Duration.days(3) },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      deletionProtection: true,
      // The people are the team: keep them when the stack is deleted.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const domain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: config.cognitoDomainPrefix ?? `${config.stackPrefix.toLowerCase()}-${stack.account}` },
    });
    // The ALB redirects back to whichever host the browser used: the domain, and the ALB's own (lower-case) name.
    const hosts = [config.domainName, loadBalancer.loadBalancerDnsName].filter((host): host is string => Boolean(host));
    const client = this.userPool.addClient('AlbClient', {
      generateSecret: true,
      preventUserExistenceErrors: true,
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: hosts.map((host) => `https://${host}/oauth2/idpresponse`),
        // Where Cognito's logout endpoint may send the browser back to: the page `signedOutPage` answers.
        logoutUrls: hosts.map((host) => `https://${host}${SIGNED_OUT_PATH}`),
      },
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
    });
    this.cognitoSignOut = { domain: `${domain.domainName}.auth.${stack.region}.amazoncognito.com`, clientId: client.userPoolClientId };
    this.action = new AuthenticateCognitoAction({
      userPool: this.userPool,
      userPoolClient: client,
      userPoolDomain: domain,
      scope: 'openid email profile',
      sessionTimeout: SIGN_IN_SESSION,
      allowHttpsOutbound: false,
      next,
    });

    new CfnOutput(stack, 'UserPoolId', {
      value: this.userPool.userPoolId,
      description: 'Add a person: aws cognito-idp admin-create-user --user-pool-id <this> --username <email> --user-attributes Name=email,Value=<email> Name=email_verified,Value=true',
    });
  }
}

/**
 * The page Cognito's logout returns to, answered by the ALB itself ahead of the sign-in action: a person who
 * just signed out is not sent straight back through the hosted UI, and the task never sees the request.
 */
export function signedOutPage(listener: elbv2.ApplicationListener): void {
  listener.addAction('SignedOut', {
    priority: 1,
    conditions: [elbv2.ListenerCondition.pathPatterns([SIGNED_OUT_PATH])],
    action: elbv2.ListenerAction.fixedResponse(200, {
      contentType: 'text/html',
      messageBody:
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>Signed out · Trailbook</title><body style="font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto"><h1>Signed out</h1><p>You are signed out of the Trailbook workbench.</p><p><a href="/">Sign in again</a></p></body></html>',
    }),
  });
}
