/**
 * The token ids (`jti`) a subgraph replica has accepted, each kept until its token expires: a
 * second presentation of the same id is a replay. Only tokens with a valid gateway signature reach
 * it, so its size is bounded by what the gateway sends in one token lifetime.
 *
 * Ids are inserted in roughly expiry order (every context has the same lifetime), so expired ones
 * are dropped from the front of the map, oldest first.
 */
export class SeenTokenIds {
  private readonly expiries = new Map<string, number>();

  /** True the first time `jti` is seen (and remembers it until `expiresAtMs`), false afterwards. */
  claim(jti: string, expiresAtMs: number, nowMs = Date.now()): boolean {
    this.dropExpired(nowMs);
    const known = this.expiries.get(jti);
    if (known !== undefined && known > nowMs) return false;
    this.expiries.set(jti, expiresAtMs);
    return true;
  }

  get size(): number {
    return this.expiries.size;
  }

  private dropExpired(nowMs: number): void {
    for (const [jti, expiresAtMs] of this.expiries) {
      if (expiresAtMs > nowMs) break;
      this.expiries.delete(jti);
    }
  }
}
