import { createHash, createHmac } from 'node:crypto';

/**
 * AWS Signature Version 4 for the few non-S3 calls we make ourselves (STS AssumeRole). S3 calls are
 * signed by the `minio` client; this is the same algorithm, kept here because minio's signer is not
 * part of its public API. Reference: "Create a signed AWS API request" (AWS IAM user guide).
 */
export interface SigV4Request {
  method: string;
  url: URL;
  /** Lower-case names. `host` and `x-amz-date` are added by `signRequest`. */
  headers: Record<string, string>;
  body: string;
}

export interface SigV4Key {
  accessKey: string;
  secretKey: string;
  sessionToken?: string | undefined;
}

export interface SigV4Scope {
  region: string;
  service: string;
}

export function sha256Hex(data: string): string {
  return createHash('sha256').update(data, 'utf8').digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** 20150830T123600Z */
export function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** RFC 3986 encoding, as SigV4 requires (encodeURIComponent leaves !'()* alone). */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalQuery(url: URL): string {
  return [...url.searchParams.entries()]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

export function canonicalRequest(request: SigV4Request, signedHeaders: string[], payloadHash: string): string {
  const headers = signedHeaders.map((name) => `${name}:${(request.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  return [request.method, request.url.pathname || '/', canonicalQuery(request.url), headers, signedHeaders.join(';'), payloadHash].join('\n');
}

export function signingKey(secretKey: string, day: string, scope: SigV4Scope): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secretKey}`, day), scope.region), scope.service), 'aws4_request');
}

/**
 * Returns the headers to send: the request's own plus host, x-amz-date, the session token if any,
 * and Authorization.
 */
export function signRequest(request: SigV4Request, key: SigV4Key, scope: SigV4Scope, now: Date = new Date()): Record<string, string> {
  const stamp = amzDate(now);
  const day = stamp.slice(0, 8);
  const headers: Record<string, string> = { ...request.headers, host: request.url.host, 'x-amz-date': stamp };
  if (key.sessionToken) headers['x-amz-security-token'] = key.sessionToken;
  const signedHeaders = Object.keys(headers).map((h) => h.toLowerCase()).sort();
  const payloadHash = sha256Hex(request.body);
  const canonical = canonicalRequest({ ...request, headers }, signedHeaders, payloadHash);
  const credentialScope = `${day}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', stamp, credentialScope, sha256Hex(canonical)].join('\n');
  const signature = hmac(signingKey(key.secretKey, day, scope), stringToSign).toString('hex');
  headers['authorization'] = `AWS4-HMAC-SHA256 Credential=${key.accessKey}/${credentialScope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
  return headers;
}
