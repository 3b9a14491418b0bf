import { errors, TesseraError } from '@tessera/errors';

/** How long a refused upload is told to wait before it sends its body again. */
const retryAfterSeconds = 5;

/**
 * The bytes of ONNX uploads this process holds at once. An upload is read whole into memory to be
 * validated (an ONNX file is one protobuf message), in the process that serves every tenant's
 * predictions, so each upload reserves its declared size here before its first byte is read and
 * gives it back on every way out. One tenant may hold at most `perTenantBytes` (half the total):
 * the rest always stays available to the others.
 *
 * A refusal changes nothing: the upload stays PENDING and its URL usable, so the client sends the
 * same body again after `retryAfterSeconds`. Past the tenant's share it is RATE_LIMITED (the
 * tenant's own uploads in progress are in the way), past the total SERVICE_UNAVAILABLE (other
 * tenants' are). A file larger than a tenant's share could never be held: it is PAYLOAD_TOO_LARGE,
 * at createModelUpload already.
 */
export class UploadMemoryBudget {
  readonly perTenantBytes: number;
  private total = 0;
  private readonly byTenant = new Map<string, number>();

  constructor(readonly totalBytes: number) {
    if (!Number.isSafeInteger(totalBytes) || totalBytes < 2) throw new RangeError(`the upload memory budget must be a whole number of bytes ≥ 2, got ${totalBytes}`);
    this.perTenantBytes = Math.floor(totalBytes / 2);
  }

  /** Refuses a size no tenant could ever hold (for createModelUpload, before anything is written). */
  assertHoldable(bytes: number): void {
    if (bytes > this.perTenantBytes) {
      throw errors.tooLarge(`byteSize ${bytes} is over the ${this.perTenantBytes} bytes one tenant's model uploads may hold in this service at once.`, {
        field: 'byteSize',
        maxBytes: this.perTenantBytes,
      });
    }
  }

  /** Holds `bytes` for `tenantId`; the returned function gives them back (once, whatever how often it is called). */
  reserve(tenantId: string, bytes: number): () => void {
    this.assertHoldable(bytes);
    const tenantHeld = this.byTenant.get(tenantId) ?? 0;
    if (tenantHeld + bytes > this.perTenantBytes) {
      throw new TesseraError('RATE_LIMITED', `Your tenant's model uploads in progress already hold ${tenantHeld} bytes of this service's memory (at most ${this.perTenantBytes} at once); send this upload again when one has finished.`, {
        retryAfterSeconds,
        limit: 'modelUploadMemoryPerTenant',
        limitValue: this.perTenantBytes,
      });
    }
    if (this.total + bytes > this.totalBytes) {
      throw new TesseraError('SERVICE_UNAVAILABLE', 'The models service is receiving as many model uploads as it can hold in memory right now; send this upload again shortly.', {
        retryAfterSeconds,
        limit: 'modelUploadMemory',
      });
    }
    this.total += bytes;
    this.byTenant.set(tenantId, tenantHeld + bytes);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total -= bytes;
      const left = (this.byTenant.get(tenantId) ?? 0) - bytes;
      if (left > 0) this.byTenant.set(tenantId, left);
      else this.byTenant.delete(tenantId);
    };
  }

  /** Bytes held, by everyone or by one tenant. */
  held(tenantId?: string): number {
    return tenantId === undefined ? this.total : (this.byTenant.get(tenantId) ?? 0);
  }
}
