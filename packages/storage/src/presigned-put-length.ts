import { createHmac } from 'node:crypto';
import { errors } from '@tessera/errors';
import type { ObjectStoreClient } from './object-store';
import { canonicalRequest, sha256Hex, signingKey } from './sigv4';

/**
 * A presigned PUT that the store accepts only with `Content-Length: contentLength`: the length is a
 * signed header (`X-Amz-SignedHeaders=content-length;host`), so a holder of the URL cannot store more
 * (or less) than the room it reserved. minio presigns `host` alone (its signer drops Content-Length on
 * purpose), so its URL is signed again here with the same key, date and scope. S3, Ceph RGW, MinIO and
 * s3rver all check every header the URL names.
 */
export async function presignedPutWithLength(client: ObjectStoreClient, bucketName: string, key: string, seconds: number, contentLength: number): Promise<string> {
  if (!Number.isSafeInteger(contentLength) || contentLength < 0) throw new RangeError(`contentLength must be a non-negative integer, not ${contentLength}`);
  // The client's key is read right after minio signed with it; a session renewed in between (another
  // request of the tenant) shows as a different access key in the URL, and the URL is made again.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const url = new URL(await client.presignedPutObject(bucketName, key, seconds));
    const held = client as unknown as { accessKey?: string; secretKey?: string; sessionToken?: string };
    const [accessKey, day, region, service] = (url.searchParams.get('X-Amz-Credential') ?? '').split('/');
    const stamp = url.searchParams.get('X-Amz-Date');
    if (!accessKey || !day || !region || !service || !stamp || !held.secretKey) throw new Error('minio produced a presigned URL without a SigV4 credential');
    if (held.accessKey !== accessKey || (held.sessionToken ?? null) !== url.searchParams.get('X-Amz-Security-Token')) continue;
    url.searchParams.delete('X-Amz-Signature');
    url.searchParams.set('X-Amz-SignedHeaders', 'content-length;host');
    const headers = { 'content-length': String(contentLength), host: url.host };
    const canonical = canonicalRequest({ method: 'PUT', url, headers, body: '' }, ['content-length', 'host'], 'UNSIGNED-PAYLOAD');
    const stringToSign = ['AWS4-HMAC-SHA256', stamp, `${day}/${region}/${service}/aws4_request`, sha256Hex(canonical)].join('\n');
    url.searchParams.set('X-Amz-Signature', createHmac('sha256', signingKey(held.secretKey, day, { region, service })).update(stringToSign, 'utf8').digest('hex'));
    return url.toString();
  }
  throw errors.unavailable('The object store session changed while an upload URL was signed; retry.');
}
