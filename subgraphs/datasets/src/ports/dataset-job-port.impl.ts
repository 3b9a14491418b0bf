import { createHash } from 'node:crypto';
import { assertGranted, assertPermission, grantedOutputName, jobGrantRefused, type JobGrant, type JobGrantVerifier } from '@tessera/auth';
import { errors } from '@tessera/errors';
import { TenantQuotas, type Reservation } from '@tessera/quotas';
import { grantEntry, isDuplicateKey, parseUuid, type GrantPortMethods, type PublishedGrantPort } from '@tessera/service-kit';
import { isPlainObjectKey, objectKey, storedSizeOf } from '@tessera/storage';
import { defaultCsvLimits, MAX_COLUMN_NAME_LENGTH, type ColumnProfile } from '@tessera/tabular';
import type { TenantScope, TenantScopeFactory } from '@tessera/tenancy';
import { datasetKeys } from '../data/dataset-keys';
import { ensureDataset, insertDatasetVersion } from '../domain/dataset-version-registration';
import { datasetJobPortCallers, datasetJobPortName, type DatasetJobPort } from './dataset-job-port';
import type { DatasetsPort, JobOutputContent } from './datasets-port';

export interface DatasetJobPortDeps {
  scopes: TenantScopeFactory;
  /** Verifies grants against the jobs service's public key. */
  verifyGrant: JobGrantVerifier;
  /** The actor port: a granted version is looked up exactly as the jobs service's submit check does. */
  catalog: Pick<DatasetsPort, 'findVersionForJob'>;
}

/**
 * The datasets service's port for running jobs. Every method starts by verifying the grant and
 * entering the grant's tenant as the grant's principal; ids the grant does not list are refused
 * before anything is read. The in-process and the HTTP callers go through the same checks.
 */
export function createDatasetJobPort(deps: DatasetJobPortDeps): DatasetJobPort {
  const enter = grantEntry(deps.scopes, deps.verifyGrant);

  /** The granted output dataset, by id: FORBIDDEN for any other dataset of the tenant. */
  const assertOutputDataset = async (grant: JobGrant, scope: TenantScope, datasetId: string) => {
    const name = grantedOutputName(grant, 'outputDataset');
    const rows = (await scope.db((manager) => manager.query(`SELECT id FROM datasets WHERE id = ? AND name = ? AND status = 'ACTIVE'`, [datasetId, name]))) as unknown[];
    if (rows.length === 0) throw jobGrantRefused('not-granted', `The job's grant does not cover dataset ${JSON.stringify(datasetId)}.`);
  };

  /**
   * Where a job's leftovers may be removed: its output dataset, also while or after it is deleted.
   * A delete lists the dataset's objects once, so an output written after that (the job was still
   * writing) is known to nobody but the job; the key is under the job's own prefix, which only this
   * job writes. Another dataset that still exists is refused as elsewhere.
   */
  const assertDiscardableOutput = async (grant: JobGrant, scope: TenantScope, datasetId: string) => {
    const name = grantedOutputName(grant, 'outputDataset');
    const rows = (await scope.db((manager) => manager.query('SELECT name FROM datasets WHERE id = ?', [datasetId]))) as Array<{ name: string }>;
    if (rows[0] && rows[0].name !== name) throw jobGrantRefused('not-granted', `The job's grant does not cover dataset ${JSON.stringify(datasetId)}.`);
  };

  /** The objects this job writes: `datasets/<output>/job-<job>-a<attempt>.csv`. */
  const jobPrefix = (grant: JobGrant, datasetId: string) => `datasets/${datasetId}/job-${grant.jobId}-`;
  const registeredKeyOf = async (scope: TenantScope, jobId: string) =>
    ((await scope.db((manager) => manager.query('SELECT object_key FROM dataset_versions WHERE source_job_id = ?', [jobId]))) as Array<{ object_key: string }>)[0]?.object_key;

  return {
    async openVersionContent(token, input) {
      const { grant, scope } = await enter(token);
      const id = parseUuid(input.datasetVersionId, 'datasetVersionId');
      assertGranted(grant, 'datasetVersion', id);
      assertPermission(scope.principal, 'read');
      const version = await deps.catalog.findVersionForJob(scope.principal, { datasetVersionId: id });
      return { version, content: await scope.bucket.openForReading(version.objectKey, datasetKeys(scope).resolver(version.datasetId)) };
    },

    async reserveJobOutput(token, input) {
      const { grant, scope } = await enter(token);
      const name = grantedOutputName(grant, 'outputDataset');
      assertPermission(scope.principal, 'write');
      const storedBytes = Number(input.storedBytes);
      if (!Number.isSafeInteger(storedBytes) || storedBytes < 0) throw errors.badInput('storedBytes must be a non-negative integer.', { field: 'storedBytes' });
      // Room first: a tenant over quota gets no output dataset either.
      const id = outputReservationIdOf(grant);
      const storage = await reserveRunOutput(new TenantQuotas(scope), id, storedBytes);
      try {
        const dataset = await ensureDataset(scope, name);
        return { datasetId: dataset.id, reservationId: id };
      } catch (error) {
        await storage?.release().catch(() => undefined);
        throw error;
      }
    },

    async openJobOutputUpload(token, input) {
      const { grant, scope } = await enter(token);
      const datasetId = parseUuid(input.datasetId, 'datasetId');
      const attempt = input.attempt;
      if (typeof attempt !== 'number' || !Number.isSafeInteger(attempt) || attempt < 1 || attempt > 1_000_000) throw errors.badInput('attempt must be a positive integer.', { field: 'attempt' });
      assertPermission(scope.principal, 'write');
      await assertOutputDataset(grant, scope, datasetId);
      // What an earlier, crashed attempt left, unless it already became the job's version.
      const registered = await registeredKeyOf(scope, grant.jobId);
      for (const leftover of await scope.bucket.listKeys(jobPrefix(grant, datasetId))) if (leftover !== registered) await scope.bucket.remove(leftover);
      // The URL takes exactly the room the run reserved (reserveJobOutput): a worker cannot park
      // more bytes in the bucket than its tenant's storage quota let it reserve.
      const storedSize = await new TenantQuotas(scope).reservedAmount(outputReservationIdOf(grant), 'storageBytes');
      if (storedSize === undefined) throw errors.conflict("The job's output has no storage reservation (reserveJobOutput first, once per output).", { reason: 'OUTPUT_NOT_RESERVED' });
      const key = objectKey('datasets', datasetId, `job-${grant.jobId}-a${attempt}.csv`);
      return { objectKey: key, upload: await scope.bucket.openForWriting(key, await datasetKeys(scope).forWriting(datasetId), { storedSize }) };
    },

    async registerJobOutput(token, input) {
      const { grant, scope } = await enter(token);
      const datasetId = parseUuid(input.datasetId, 'datasetId');
      const reservationId = grantedReservation(grant, input.reservationId);
      assertPermission(scope.principal, 'write');
      await assertOutputDataset(grant, scope, datasetId);
      const content = parseContent(input.content, jobPrefix(grant, datasetId));
      // The version describes the object that is there: one the job never wrote cannot be registered.
      if ((await scope.bucket.storedSizeOf(content.objectKey)) !== content.storedSize) {
        throw errors.badInput('The output object is missing or not the size declared.', { field: 'content.storedSize' });
      }
      // Its header, not the worker's word, says the key; a key version destroyed by a rotation while the job wrote is CONFLICT (the job's retry writes it again).
      const headerVersion = await scope.bucket.headerKeyVersion(content.objectKey);
      if (headerVersion === undefined) throw errors.badInput('The output object is not encrypted.', { field: 'content.objectKey' });
      await datasetKeys(scope).assertStillHeld(datasetId, headerVersion);
      content.keyVersion = headerVersion;
      const storage = new TenantQuotas(scope).reservation(reservationId, 'storageBytes');
      const version = await scope.transaction((manager) => insertDatasetVersion(manager, scope, datasetId, { ...content, sourceJobId: grant.jobId, storage }));
      // A run that crashed after registering made the version: it stands, this copy goes.
      if (version.objectKey !== content.objectKey) await scope.bucket.remove(content.objectKey).catch(() => undefined);
      return { datasetId: version.datasetId, datasetVersionId: version.id, objectKey: version.objectKey };
    },

    async discardJobOutput(token, input) {
      const { grant, scope } = await enter(token);
      const reservationId = grantedReservation(grant, input.reservationId);
      if (input.objectKey !== null && input.objectKey !== undefined) {
        const key = String(input.objectKey);
        const datasetId = /^datasets\/([0-9a-f-]{36})\//.exec(key)?.[1];
        // The job's prefix, and nothing that leads out of it again (`..` segments).
        if (!datasetId || !isJobObjectKey(key, jobPrefix(grant, datasetId))) throw jobGrantRefused('not-granted', "The job's grant does not cover that object.");
        await assertDiscardableOutput(grant, scope, datasetId);
        // Never the object of a registered version, whoever asks.
        const versions = (await scope.db((manager) => manager.query('SELECT id FROM dataset_versions WHERE object_key = ?', [key]))) as unknown[];
        if (versions.length === 0) await scope.bucket.remove(key);
      }
      await new TenantQuotas(scope).reservation(reservationId, 'storageBytes').release();
    },
  };
}

/**
 * The storage reservation of one run's output: its id is derived from the job and the run token,
 * so a grant can commit or release only the reservation its own run made, never another job's
 * (a retry is a new run, with a reservation of its own).
 */
function outputReservationIdOf(grant: JobGrant): string {
  const hex = createHash('sha256').update(`job-output\u0000${grant.jobId}\u0000${grant.runToken}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The run's one storage reservation (its id is the run's): made once; asked again for the same
 * room (a retry whose first answer was lost) it is the same reservation (undefined: nothing new to
 * release on failure), asked for other room it is CONFLICT. Before, a second call hit the
 * reservation's primary key and answered INTERNAL_SERVER_ERROR.
 */
async function reserveRunOutput(quotas: TenantQuotas, id: string, storedBytes: number): Promise<Reservation | undefined> {
  const alreadyHeld = async () => {
    const held = await quotas.reservedAmount(id, 'storageBytes');
    if (held === undefined) return false;
    if (held !== storedBytes) {
      throw errors.conflict(`This run has already reserved ${held} bytes for its output (once per run; discardJobOutput gives them back).`, { reason: 'OUTPUT_ALREADY_RESERVED', field: 'storedBytes' });
    }
    return true;
  };
  if (await alreadyHeld()) return undefined;
  try {
    return await quotas.reserve('storageBytes', storedBytes, { id });
  } catch (error) {
    // Two calls of the same run at once: the loser answers as if it came second.
    if (isDuplicateKey(error) && (await alreadyHeld())) return undefined;
    throw error;
  }
}

function grantedReservation(grant: JobGrant, given: string): string {
  const id = parseUuid(given, 'reservationId');
  if (id !== outputReservationIdOf(grant)) throw jobGrantRefused('not-granted', "The job's grant does not cover that reservation.");
  return id;
}

/** The port as this service publishes it to the workers' processes. */
export function publishedDatasetJobPort(port: DatasetJobPort): PublishedGrantPort<DatasetJobPort> {
  return { name: datasetJobPortName, authority: 'job-grant', implementation: port as GrantPortMethods<DatasetJobPort>, callers: datasetJobPortCallers };
}

/** Output objects are the job's own: a version never points at another job's or another dataset's object. */
function parseContent(content: JobOutputContent | undefined, prefix: string): JobOutputContent {
  const size = (value: unknown, field: string) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw errors.badInput(`${field} must be a non-negative integer.`, { field });
    return value;
  };
  if (!content || typeof content !== 'object') throw errors.badInput('content is required.', { field: 'content' });
  if (typeof content.objectKey !== 'string' || !isJobObjectKey(content.objectKey, prefix)) {
    throw jobGrantRefused('not-granted', "The job's grant does not cover that object.");
  }
  if (typeof content.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(content.sha256)) throw errors.badInput('sha256 must be a hex digest.', { field: 'content.sha256' });
  const profile = content.profile;
  if (!profile || !Array.isArray(profile.columns)) throw errors.badInput('profile is required.', { field: 'content.profile' });
  const rowCount = size(profile.rowCount, 'content.profile.rowCount');
  const parsed: JobOutputContent = {
    objectKey: content.objectKey,
    byteSize: size(content.byteSize, 'content.byteSize'),
    storedSize: size(content.storedSize, 'content.storedSize'),
    sha256: content.sha256,
    keyVersion: size(content.keyVersion, 'content.keyVersion'),
    profile: { columns: parseColumns(profile.columns, rowCount), rowCount, byteSize: size(profile.byteSize, 'content.profile.byteSize') },
  };
  // The plain size is the one the stored size encrypts (the format's framing is fixed), and the one the profile read.
  if (storedSizeOf(parsed.byteSize) !== parsed.storedSize || parsed.profile.byteSize !== parsed.byteSize) {
    throw errors.badInput('byteSize must be the plain size of the stored object, and the size its profile read.', { field: 'content.byteSize' });
  }
  return parsed;
}

const columnTypes: ReadonlySet<string> = new Set(['INTEGER', 'FLOAT', 'BOOLEAN', 'DATETIME', 'STRING']);

/**
 * The output's column profile as an upload's profiler would have made it: at most the CSV limit
 * of columns, each a distinct trimmed name of 1–128 characters, a known type, and a null count
 * within the rows. The worker's word is stored as the version's columns and served to every read
 * of the dataset (a type outside the enum failed `columns` with INTERNAL_SERVER_ERROR), and later
 * jobs pick their features by these names; only the five profile fields are kept.
 */
function parseColumns(columns: unknown[], rowCount: number): ColumnProfile[] {
  const field = 'content.profile.columns';
  if (columns.length === 0 || columns.length > defaultCsvLimits.maxColumns) throw errors.badInput(`The profile must list 1 to ${defaultCsvLimits.maxColumns} columns.`, { field });
  const names = new Set<string>();
  return columns.map((column, index) => {
    const bad = (why: string) => errors.badInput(`content.profile.columns[${index}]: ${why}.`, { field });
    if (!column || typeof column !== 'object' || Array.isArray(column)) throw bad('not a column profile');
    const { name, type, nullable, nullCount } = column as Record<string, unknown>;
    if (typeof name !== 'string' || name.length === 0 || [...name].length > MAX_COLUMN_NAME_LENGTH || name.trim() !== name) throw bad(`name must be a trimmed string of 1 to ${MAX_COLUMN_NAME_LENGTH} characters`);
    if (names.has(name)) throw bad(`the name ${JSON.stringify(name)} is listed twice`);
    names.add(name);
    if (typeof type !== 'string' || !columnTypes.has(type)) throw bad(`type must be one of ${[...columnTypes].join(', ')}`);
    if (typeof nullable !== 'boolean') throw bad('nullable must be a boolean');
    if (typeof nullCount !== 'number' || !Number.isSafeInteger(nullCount) || nullCount < 0 || nullCount > rowCount) throw bad('nullCount must be an integer from 0 to the row count');
    return { name, type: type as ColumnProfile['type'], nullable, nullCount };
  });
}

/**
 * A key of the job's own objects: under its prefix, in the characters the job's keys are made of,
 * and with no `..` or `.` segment to lead out of the prefix again (a store that keeps objects as
 * files, or a proxy in front of one, resolves them: `<prefix>/../../../tessera-<other>/…`).
 */
function isJobObjectKey(key: string, prefix: string): boolean {
  return key.startsWith(prefix) && /^[A-Za-z0-9._/-]+$/.test(key) && !key.includes('..') && isPlainObjectKey(key);
}
