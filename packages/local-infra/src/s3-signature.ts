import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * SigV4 verification for the local S3 server. s3rver checks only that a SigV4 request names a known
 * access key id and never computes the signature ("Signature version 4 calculation is
 * unimplemented"), and the id is in every presigned URL the platform hands a worker: such a URL
 * re-pointed at another key, bucket or method, or any request signed with a wrong secret, was served;
 * so was a request with no authentication at all. This computes the signature as S3 does (header or
 * query authentication) over the request as it arrived, and refuses a mismatch, an unknown key id,
 * an expired presigned URL, an x-amz-* header the signature does not list and an anonymous request.
 */
export type SignatureCheck = { outcome: 'verified' } | { outcome: 'not-sigv4' } | { outcome: 'refused'; code: string; message: string };

interface Parsed {
  accessKey: string;
  day: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  stamp: string;
  payloadHash: string;
  /** Presigned: the query parameter X-Amz-Expires. */
  expiresSeconds?: number;
}

/** RFC 3986, as SigV4 wants it. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function queryPairs(rawQuery: string): Array<[string, string]> {
  if (rawQuery === '') return [];
  return rawQuery.split('&').filter((part) => part !== '').map((part) => {
    const at = part.indexOf('=');
    return at < 0 ? [decode(part), ''] : [decode(part.slice(0, at)), decode(part.slice(at + 1))];
  });
}

function parse(req: IncomingMessage, query: Array<[string, string]>): Parsed | undefined {
  const authorization = req.headers['authorization'];
  if (typeof authorization === 'string' && authorization.startsWith('AWS4-HMAC-SHA256 ')) {
    const fields = new Map(
      authorization
        .slice('AWS4-HMAC-SHA256 '.length)
        .split(',')
        .map((field) => field.trim().split('=') as [string, string]),
    );
    const [accessKey = '', day = '', region = '', service = ''] = (fields.get('Credential') ?? '').split('/');
    return {
      accessKey,
      day,
      region,
      service,
      signedHeaders: (fields.get('SignedHeaders') ?? '').split(';'),
      signature: fields.get('Signature') ?? '',
      stamp: String(req.headers['x-amz-date'] ?? ''),
      payloadHash: String(req.headers['x-amz-content-sha256'] ?? ''),
    };
  }
  const params = new Map(query);
  if (params.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return undefined;
  const [accessKey = '', day = '', region = '', service = ''] = (params.get('X-Amz-Credential') ?? '').split('/');
  return {
    accessKey,
    day,
    region,
    service,
    signedHeaders: (params.get('X-Amz-SignedHeaders') ?? '').split(';'),
    signature: params.get('X-Amz-Signature') ?? '',
    stamp: params.get('X-Amz-Date') ?? '',
    payloadHash: 'UNSIGNED-PAYLOAD',
    expiresSeconds: Number(params.get('X-Amz-Expires')),
  };
}

/** How far a signing time may be ahead of this clock (S3's RequestTimeTooSkewed bound). */
const allowedSkewMs = 15 * 60_000;

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** 20150830T123600Z → epoch ms */
function stampTime(stamp: string): number {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp);
  return match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6])) : NaN;
}

export function checkSignature(req: IncomingMessage, keys: ReadonlyMap<string, string>, now: number = Date.now()): SignatureCheck {
  const url = req.url ?? '/';
  const at = url.indexOf('?');
  const rawPath = at < 0 ? url : url.slice(0, at);
  const query = queryPairs(at < 0 ? '' : url.slice(at + 1));
  const parsed = parse(req, query);
  if (!parsed) {
    // s3rver serves a request that carries no authentication at all (every bucket listed, any object
    // read, written or deleted); S3 refuses one unless a bucket policy makes the bucket public, and
    // no tenant bucket is. V2 signatures (an `AWS ` Authorization header or a Signature parameter)
    // are left to s3rver, which verifies those.
    const v2 = (typeof req.headers['authorization'] === 'string' && req.headers['authorization'].startsWith('AWS ')) || query.some(([key]) => key === 'Signature');
    return v2 ? { outcome: 'not-sigv4' } : { outcome: 'refused', code: 'AccessDenied', message: 'Anonymous requests are not allowed.' };
  }
  const secret = keys.get(parsed.accessKey);
  if (secret === undefined) return { outcome: 'refused', code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' };
  // s3rver takes the bucket from a Host that is not an IP or localhost (virtual-host style), so a
  // signature must cover the Host header, as S3 requires: otherwise the holder picks the bucket.
  if (!parsed.signedHeaders.includes('host')) return { outcome: 'refused', code: 'AccessDenied', message: 'The Host header must be signed.' };
  // Headers outside the signature are the holder's to add. s3rver acts on x-amz-* headers (a PUT with
  // `x-amz-copy-source` copies from any bucket of the store into the signed key: a worker's presigned
  // PUT for its own output read another tenant's object), so, as S3 does (HeadersNotSigned), a
  // request carrying an x-amz-* header its signature does not list is refused.
  const unsigned = Object.keys(req.headers).filter((name) => name.toLowerCase().startsWith('x-amz-') && !parsed.signedHeaders.includes(name.toLowerCase()));
  if (unsigned.length > 0) return { outcome: 'refused', code: 'AccessDenied', message: `There were headers present in the request which were not signed: ${unsigned.join(', ')}` };
  if (parsed.expiresSeconds !== undefined) {
    const signedAt = stampTime(parsed.stamp);
    if (!Number.isFinite(parsed.expiresSeconds) || !Number.isFinite(signedAt) || now > signedAt + parsed.expiresSeconds * 1000) {
      return { outcome: 'refused', code: 'AccessDenied', message: 'Request has expired' };
    }
    // A URL dated ahead of the clock would stay valid its whole lifetime from that later date
    // (s3rver bounds only X-Amz-Expires, to 7 days): S3 refuses it until then, past the usual skew.
    if (signedAt > now + allowedSkewMs) return { outcome: 'refused', code: 'AccessDenied', message: 'Request is not valid yet' };
  }
  const canonicalQuery = query
    .filter(([key]) => key !== 'X-Amz-Signature')
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headerValue = (name: string) => {
    const value = req.headers[name];
    return (Array.isArray(value) ? value.join(',') : (value ?? '')).trim().replace(/\s+/g, ' ');
  };
  const canonicalHeaders = parsed.signedHeaders.map((name) => `${name}:${headerValue(name)}\n`).join('');
  const canonical = [req.method ?? 'GET', rawPath || '/', canonicalQuery, canonicalHeaders, parsed.signedHeaders.join(';'), parsed.payloadHash].join('\n');
  const scope = `${parsed.day}/${parsed.region}/${parsed.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', parsed.stamp, scope, createHash('sha256').update(canonical, 'utf8').digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, parsed.day), parsed.region), parsed.service), 'aws4_request');
  const expected = Buffer.from(hmac(key, stringToSign).toString('hex'));
  const provided = Buffer.from(parsed.signature);
  if (expected.length !== provided.length || !timingSafeEqual(expected, provided)) {
    return { outcome: 'refused', code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.' };
  }
  return { outcome: 'verified' };
}
