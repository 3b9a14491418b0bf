/**
 * The memory all inference processes of one service process may take together. Every process is
 * killed at its resident-memory cap (tenant-pool.ts), so a process's cap is what it can cost; a
 * process starts only once its cap is reserved here, and gives it back when it has exited. The sum
 * of live processes' caps then never exceeds `totalBytes`, which a container limit can cover.
 *
 * One tenant's reservations are held to half the budget (as model uploads hold half theirs): however
 * many processes one tenant asks for, or keeps busy, the other half stays for the others, and since
 * a process's cap is at most half the budget (see `perProcessCapBytes`) that half always holds at
 * least one process of any other tenant. Idle pools are what the owner stops to make room.
 */
export class InferenceMemoryBudget {
  readonly perTenantBytes: number;
  private reserved = 0;
  private readonly byTenant = new Map<string, number>();

  constructor(readonly totalBytes: number) {
    this.perTenantBytes = Math.floor(totalBytes / 2);
  }

  /** The cap a process is held to: the tenant's (0: none), never more than one tenant's share. */
  perProcessCapBytes(tenantCapBytes: number): number {
    return tenantCapBytes > 0 ? Math.min(tenantCapBytes, this.perTenantBytes) : this.perTenantBytes;
  }

  /** What blocks a reservation of `bytes` for `tenantId` now, or undefined when it fits. */
  shortage(tenantId: string, bytes: number): 'tenant' | 'total' | undefined {
    if (this.heldBy(tenantId) + bytes > this.perTenantBytes) return 'tenant';
    if (this.reserved + bytes > this.totalBytes) return 'total';
    return undefined;
  }

  /** Reserves `bytes` for one process of `tenantId`; false (nothing reserved) when it does not fit. */
  tryReserve(tenantId: string, bytes: number): boolean {
    if (this.shortage(tenantId, bytes)) return false;
    this.reserved += bytes;
    this.byTenant.set(tenantId, this.heldBy(tenantId) + bytes);
    return true;
  }

  release(tenantId: string, bytes: number): void {
    this.reserved = Math.max(0, this.reserved - bytes);
    const left = this.heldBy(tenantId) - bytes;
    if (left > 0) this.byTenant.set(tenantId, left);
    else this.byTenant.delete(tenantId);
  }

  heldBy(tenantId: string): number {
    return this.byTenant.get(tenantId) ?? 0;
  }

  get reservedBytes(): number {
    return this.reserved;
  }
}
