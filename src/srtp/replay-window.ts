/**
 * A sliding replay window (RFC 3711 §3.3.2) over packet indices: a circular bitmap of `size` bits
 * behind the highest authenticated index. `check` before authentication, `update` only after it.
 */
export class ReplayWindow {
  readonly size: number;
  private readonly bits: Uint32Array;
  /** Highest index accepted so far, or -1 before the first. */
  highest = -1;

  constructor(size = 1024) {
    if (!Number.isInteger(size) || size < 64)
      throw new RangeError('replay window must be at least 64 packets');
    this.size = Math.ceil(size / 32) * 32;
    this.bits = new Uint32Array(this.size / 32);
  }

  /** Whether `index` is new and not too old. */
  check(index: number): boolean {
    if (index > this.highest) return true;
    if (this.highest - index >= this.size) return false;
    const slot = index % this.size;
    return (this.bits[slot >>> 5]! & (1 << (slot & 31))) === 0;
  }

  /** Record `index` as received (advancing the window when it is the newest). */
  update(index: number): void {
    if (index > this.highest) {
      const advance = this.highest < 0 ? this.size : index - this.highest;
      if (advance >= this.size) this.bits.fill(0);
      else for (let i = this.highest + 1; i <= index; i++) this.clear(i % this.size);
      this.highest = index;
    }
    const slot = index % this.size;
    this.bits[slot >>> 5]! |= 1 << (slot & 31);
  }

  private clear(slot: number): void {
    this.bits[slot >>> 5]! &= ~(1 << (slot & 31));
  }
}
