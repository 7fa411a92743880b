/**
 * A `fetch` that signs each request with SigV4 (service `lambda`), for a Lambda Function URL with
 * AWS_IAM auth. Credentials come from the SDK's default provider chain when
 * @aws-sdk/credential-provider-node is installed, else from the AWS_* environment variables.
 */

type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
type CredentialProvider = () => Promise<Credentials>;

async function defaultCredentials(env: NodeJS.ProcessEnv): Promise<CredentialProvider> {
  try {
    const { defaultProvider } = (await import('@aws-sdk/credential-provider-node')) as { defaultProvider: () => CredentialProvider };
    return defaultProvider();
  } catch {
    return async () => {
      const accessKeyId = env.AWS_ACCESS_KEY_ID;
      const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
      if (!accessKeyId || !secretAccessKey) throw new Error('TRAILBOOK_MCP_SIGV4=true needs AWS credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)');
      return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN };
    };
  }
}

/** Region of a Function URL (`https://<id>.lambda-url.<region>.on.aws/`), else the configured one. */
export function regionOf(url: URL, env: NodeJS.ProcessEnv): string {
  const m = /\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(url.hostname);
  return m?.[1] ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
}

export async function createSigV4Fetch(options: { env?: NodeJS.ProcessEnv; credentials?: CredentialProvider; region?: string; service?: string } = {}): Promise<typeof fetch> {
  const env = options.env ?? process.env;
  const [{ SignatureV4 }, { Sha256 }] = await Promise.all([import('@smithy/signature-v4'), import('@aws-crypto/sha256-js')]);
  const credentials = options.credentials ?? (await defaultCredentials(env));

  return async (input: string | URL | Request, init: RequestInit = {}) => {
    const request = input instanceof Request ? input : undefined;
    const url = new URL(request ? request.url : input.toString());
    const method = (init.method ?? request?.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {};
    new Headers(init.headers ?? request?.headers).forEach((value, key) => {
      headers[key] = value;
    });
    headers.host = url.host;
    const body = init.body ?? (request ? await request.text() : undefined);
    if (body !== undefined && body !== null && typeof body !== 'string') throw new Error('SigV4 fetch signs string bodies only');

    const signer = new SignatureV4({ service: options.service ?? 'lambda', region: options.region ?? regionOf(url, env), credentials, sha256: Sha256 });
    const query: Record<string, string> = {};
    url.searchParams.forEach((v, k) => {
      query[k] = v;
    });
    const signed = await signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query,
      headers,
      body: body ?? undefined,
    });
    const { host: _host, ...sendHeaders } = signed.headers as Record<string, string>;
    return fetch(url, { ...init, method, headers: sendHeaders, body: body ?? undefined });
  };
}
