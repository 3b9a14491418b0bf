import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { signRequest, type SigV4Key } from './sigv4';

/**
 * STS AssumeRole, the call that works on AWS, MinIO and Ceph RGW alike: the service signs with its
 * own long-lived key and gets back temporary credentials whose rights are the role's permissions
 * intersected with the session policy it passes. Request and response follow the AWS STS API
 * reference (AssumeRole, version 2011-06-15).
 */
export interface AssumeRoleRequest {
  endpoint: string;
  region: string;
  baseCredentials: SigV4Key;
  /** Required by AWS and Ceph RGW; MinIO ignores it (the session inherits the caller's policy). */
  roleArn?: string | undefined;
  /** 2–64 characters of [\w+=,.@-]; shows up in the store's audit logs. */
  roleSessionName: string;
  /** Inline session policy (JSON): the credentials can do no more than it allows. */
  policy: string;
  /** AWS and RGW accept 900–43200 (capped by the role's maximum), MinIO 900–604800. */
  durationSeconds: number;
  /** For an https:// endpoint with a private CA: the only CA its certificate may chain to. */
  tlsCa?: string | undefined;
}

export interface TemporaryCredentials {
  accessKey: string;
  secretKey: string;
  sessionToken: string;
  expiresAt: Date;
}

/** The store refused or could not answer the AssumeRole call. */
export class AssumeRoleError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    /** The STS error code (AccessDenied, InvalidParameterValue, …) when the store sent one. */
    readonly stsCode: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AssumeRoleError';
  }

  /**
   * The same field S3 errors carry, so the error masker sees a throttled or unreachable store
   * (SlowDown, ServiceUnavailable, or a socket code in `cause`) as SERVICE_UNAVAILABLE.
   */
  get code(): string | undefined {
    return this.stsCode;
  }
}

export function assumeRoleBody(request: AssumeRoleRequest): string {
  const params = new URLSearchParams({ Action: 'AssumeRole', Version: '2011-06-15' });
  if (request.roleArn) params.set('RoleArn', request.roleArn);
  params.set('RoleSessionName', request.roleSessionName);
  params.set('Policy', request.policy);
  params.set('DurationSeconds', String(request.durationSeconds));
  return params.toString();
}

function xmlText(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}(?:\\s[^>]*)?>([^<]*)</${tag}>`).exec(xml);
  if (!match) return undefined;
  return match[1]!
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();
}

/** Parses an AssumeRole answer (success or ErrorResponse) into credentials or an AssumeRoleError. */
export function parseAssumeRoleResponse(status: number, body: string): TemporaryCredentials {
  if (status < 200 || status >= 300 || body.includes('<ErrorResponse') || body.includes('<Error>')) {
    const code = xmlText(body, 'Code');
    const message = xmlText(body, 'Message');
    throw new AssumeRoleError(`AssumeRole refused (${status}${code ? ` ${code}` : ''})${message ? `: ${message}` : ''}`, status, code);
  }
  const credentials = /<Credentials>([\s\S]*?)<\/Credentials>/.exec(body)?.[1];
  const accessKey = credentials && xmlText(credentials, 'AccessKeyId');
  const secretKey = credentials && xmlText(credentials, 'SecretAccessKey');
  const sessionToken = credentials && xmlText(credentials, 'SessionToken');
  const expiration = credentials && xmlText(credentials, 'Expiration');
  const expiresAt = expiration ? new Date(expiration) : undefined;
  if (!accessKey || !secretKey || !sessionToken || !expiresAt || Number.isNaN(expiresAt.getTime())) {
    throw new AssumeRoleError('AssumeRole answer has no usable Credentials element', status, undefined);
  }
  return { accessKey, secretKey, sessionToken, expiresAt };
}

export async function assumeRole(request: AssumeRoleRequest, timeoutMs = 10_000): Promise<TemporaryCredentials> {
  const url = new URL(request.endpoint);
  url.pathname = '/';
  const body = assumeRoleBody(request);
  const headers = signRequest(
    { method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body },
    request.baseCredentials,
    { region: request.region, service: 'sts' },
  );
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const tls = url.protocol === 'https:' && request.tlsCa !== undefined ? { ca: request.tlsCa } : {};
    const req = send(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, timeout: timeoutMs, ...tls }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => {
      const timedOut = Object.assign(new Error(`AssumeRole timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' });
      req.destroy(new AssumeRoleError(timedOut.message, undefined, undefined, { cause: timedOut }));
    });
    req.on('error', (error) => reject(error instanceof AssumeRoleError ? error : new AssumeRoleError(`AssumeRole failed: ${error.message}`, undefined, undefined, { cause: error })));
    req.end(body);
  });
  return parseAssumeRoleResponse(status, text);
}
