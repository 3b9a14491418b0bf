import { randomUUID } from 'node:crypto';
import { importJWK, jwtVerify, SignJWT, type JWK, type KeyLike } from 'jose';
import { errors, type TesseraError } from '@tessera/errors';
import type { Principal } from './principal';
import { parseRoles, tenantRoles, type Role } from './roles';

/**
 * A job grant: what the jobs service hands a worker with a claimed job, and the only authority a
 * worker presents to the datasets and models services. It names the tenant, the job and its run,
 * the principal the job acts for (from the job row, never from the queue), and exactly the objects
 * the job may touch. Signed by the jobs service (ES256, its SERVICE_KEY); the owners verify it with
 * the jobs service's public key, which they already hold to accept its port calls. The audience
 * and the `typ` header keep grants and service tokens apart, though one key signs both.
 */
export const jobGrantAudience = 'tessera-job-grant';
const jobGrantType = 'tessera-job-grant+jwt';
const algorithm = 'ES256';
const issuer = 'jobs';
/** Clocks of the jobs service and the owners may differ this much. */
const clockToleranceSeconds = 5;

/** What a job may read and write, by id or name. Empty: nothing of that kind. */
export interface JobGrantResources {
  /** Dataset versions the job reads (its input). */
  datasetVersionIds: string[];
  /** Model versions the job runs (batch inference). */
  modelVersionIds: string[];
  /** The dataset a batch-inference job writes its output version into, by name. */
  outputDatasetName: string | null;
  /** The model a training job registers its version under, by name. */
  trainedModelName: string | null;
}

export interface JobGrant {
  tenantId: string;
  jobId: string;
  /** The run this grant belongs to (the job row's run token while the run owns the job). */
  runToken: string;
  subject: string;
  roles: Role[];
  clientId: string | undefined;
  /** The request id the run's writes are audited under. */
  requestId: string;
  resources: JobGrantResources;
  expiresAt: Date;
}

/** The grant as a worker holds and forwards it: the compact JWS, opaque to the worker. */
export type JobGrantToken = string;

export type JobGrantRefusal = 'grant-missing' | 'grant-invalid' | 'grant-expired' | 'not-granted' | 'no-grant-key';

/** Every refusal is FORBIDDEN: the caller proved it is the workers service, but holds no authority for this. */
export function jobGrantRefused(reason: JobGrantRefusal, message: string): TesseraError {
  return errors.forbidden(`${message} (${reason})`);
}

/** The jobs service's side: signs grants with its own key. */
export async function createJobGrantSigner(privateJwk: JWK) {
  const key = (await importJWK(privateJwk, algorithm)) as KeyLike;
  return async function sign(grant: Omit<JobGrant, 'expiresAt'>, lifetimeSeconds: number): Promise<{ token: JobGrantToken; expiresAt: Date }> {
    const now = Math.floor(Date.now() / 1000);
    const exp = now + Math.max(1, Math.floor(lifetimeSeconds));
    const token = await new SignJWT({
      tid: grant.tenantId,
      jid: grant.jobId,
      rtk: grant.runToken,
      roles: grant.roles,
      ...(grant.clientId ? { cid: grant.clientId } : {}),
      rid: grant.requestId,
      res: grant.resources,
    })
      .setProtectedHeader({ alg: algorithm, typ: jobGrantType })
      .setIssuer(issuer)
      .setSubject(grant.subject)
      .setAudience(jobGrantAudience)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .sign(key);
    return { token, expiresAt: new Date(exp * 1000) };
  };
}

export type JobGrantSigner = Awaited<ReturnType<typeof createJobGrantSigner>>;

/**
 * The owners' side. Without the jobs service's key every grant is refused: a process given no key
 * accepts no worker. Throws FORBIDDEN for anything but an intact, unexpired grant of the jobs service.
 */
export function createJobGrantVerifier(publicJwk: JWK | undefined) {
  let key: Promise<KeyLike> | undefined;
  return async function verify(token: unknown): Promise<JobGrant> {
    if (!publicJwk) throw jobGrantRefused('no-grant-key', 'This service accepts no job grants: it holds no key of the jobs service.');
    if (typeof token !== 'string' || token.length === 0 || token.length > 16_384) throw jobGrantRefused('grant-missing', 'A worker acts only with the grant of its job.');
    key ??= importJWK(publicJwk, algorithm) as Promise<KeyLike>;
    let payload;
    try {
      ({ payload } = await jwtVerify(token, await key, { issuer, audience: jobGrantAudience, algorithms: [algorithm], typ: jobGrantType, clockTolerance: clockToleranceSeconds, requiredClaims: ['exp', 'sub'] }));
    } catch (error) {
      const expired = (error as { code?: string }).code === 'ERR_JWT_EXPIRED';
      throw expired ? jobGrantRefused('grant-expired', 'The job grant has expired.') : jobGrantRefused('grant-invalid', 'The job grant is not valid.');
    }
    return toGrant(payload as Record<string, unknown>);
  };
}

export type JobGrantVerifier = ReturnType<typeof createJobGrantVerifier>;

/** The principal a grant's job acts as: its tenant roles only, whatever else the token might say. */
export function principalOfGrant(grant: JobGrant): Principal {
  const known: readonly string[] = tenantRoles;
  return {
    kind: 'user',
    subject: grant.subject,
    tenantId: grant.tenantId,
    roles: grant.roles.filter((role) => known.includes(role)),
    clientId: grant.clientId,
    requestId: grant.requestId,
    sourceIp: undefined,
  };
}

function toGrant(payload: Record<string, unknown>): JobGrant {
  const res = (typeof payload['res'] === 'object' && payload['res'] !== null ? payload['res'] : {}) as Record<string, unknown>;
  const strings = (value: unknown) => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
  const text = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : null);
  const tenantId = text(payload['tid']);
  const jobId = text(payload['jid']);
  const runToken = text(payload['rtk']);
  const subject = text(payload['sub']);
  if (!tenantId || !jobId || !runToken || !subject) throw jobGrantRefused('grant-invalid', 'The job grant is not valid.');
  return {
    tenantId,
    jobId,
    runToken,
    subject,
    roles: parseRoles(payload['roles']),
    clientId: text(payload['cid']) ?? undefined,
    requestId: text(payload['rid']) ?? `job-${jobId}`,
    resources: {
      datasetVersionIds: strings(res['datasetVersionIds']),
      modelVersionIds: strings(res['modelVersionIds']),
      outputDatasetName: text(res['outputDatasetName']),
      trainedModelName: text(res['trainedModelName']),
    },
    expiresAt: new Date(Number(payload['exp']) * 1000),
  };
}

/**
 * The keys of job grants a process holds: the jobs service signs with its own SERVICE_KEY; the
 * datasets and models services verify with the jobs service's public key (PORT_CALLER_KEYS.jobs).
 */
export interface JobGrantKeys {
  signingKey?: JWK | undefined;
  verifyKey?: JWK | undefined;
}

/** Refuses (FORBIDDEN) an id the grant does not list: a job touches its own inputs only. */
export function assertGranted(grant: JobGrant, kind: 'datasetVersion' | 'modelVersion', id: string): void {
  const listed = kind === 'datasetVersion' ? grant.resources.datasetVersionIds : grant.resources.modelVersionIds;
  if (!listed.includes(id)) throw jobGrantRefused('not-granted', `The job's grant does not cover ${kind} ${JSON.stringify(id)}.`);
}

/** The name a job writes its output under, from the grant: FORBIDDEN when the job writes no such output. */
export function grantedOutputName(grant: JobGrant, kind: 'outputDataset' | 'trainedModel'): string {
  const name = kind === 'outputDataset' ? grant.resources.outputDatasetName : grant.resources.trainedModelName;
  if (!name) throw jobGrantRefused('not-granted', `The job's grant allows no ${kind === 'outputDataset' ? 'output dataset' : 'trained model'}.`);
  return name;
}
