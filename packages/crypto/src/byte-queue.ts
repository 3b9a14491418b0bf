/**
 * FIFO of incoming buffers. Avoids re-concatenating everything on each write (quadratic for
 * small writes) and hands out zero-copy views when a request fits in one buffer.
 */
export class ByteQueue {
  private readonly buffers: Buffer[] = [];
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(buffer: Buffer): void {
    if (buffer.length === 0) return;
    this.buffers.push(buffer);
    this.size += buffer.length;
  }

  /** Removes and returns exactly `count` bytes (count must not exceed `length`). */
  take(count: number): Buffer {
    if (count > this.size) throw new RangeError(`take(${count}) with only ${this.size} bytes queued`);
    this.size -= count;
    const first = this.buffers[0];
    if (first !== undefined && first.length >= count) {
      if (first.length === count) this.buffers.shift();
      else this.buffers[0] = first.subarray(count);
      return first.subarray(0, count);
    }
    const out = Buffer.allocUnsafe(count);
    let filled = 0;
    while (filled < count) {
      const head = this.buffers[0] as Buffer; // non-empty: size accounting guarantees enough bytes
      const n = Math.min(head.length, count - filled);
      head.copy(out, filled, 0, n);
      filled += n;
      if (n === head.length) this.buffers.shift();
      else this.buffers[0] = head.subarray(n);
    }
    return out;
  }
}
