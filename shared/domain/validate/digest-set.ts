/**
 * A set of 64-bit digests in one typed array (open addressing, linear probing), so remembering every
 * row of a 1M-row batch costs ~16 MB instead of a million strings. Two different rows share a 64-bit
 * digest with probability about n² / 2^65 (≈ 3e-8 for a million rows).
 */
export class DigestSet {
  private slots: Uint32Array;
  private used = 0;

  constructor(initialCapacity = 1 << 14) {
    let capacity = 16;
    while (capacity < initialCapacity) capacity <<= 1;
    this.slots = new Uint32Array(capacity * 2);
  }

  get size(): number {
    return this.used;
  }

  /** Adds the digest (hi, lo); true when it was not there before. */
  add(hi: number, lo: number): boolean {
    // (0, 0) marks an empty slot; map that one digest to (0, 1) (a collision of 2^-64).
    if (hi === 0 && lo === 0) lo = 1;
    if ((this.used + 1) * 2 > this.slots.length / 2) this.grow();
    return this.insert(this.slots, hi >>> 0, lo >>> 0);
  }

  private insert(slots: Uint32Array, hi: number, lo: number): boolean {
    const mask = slots.length / 2 - 1;
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    for (;;) {
      const h = slots[2 * i] as number;
      const l = slots[2 * i + 1] as number;
      if (h === 0 && l === 0) {
        slots[2 * i] = hi;
        slots[2 * i + 1] = lo;
        if (slots === this.slots) this.used++;
        return true;
      }
      if (h === hi && l === lo) return false;
      i = (i + 1) & mask;
    }
  }

  private grow(): void {
    const old = this.slots;
    const next = new Uint32Array(old.length * 2);
    for (let i = 0; i < old.length; i += 2) {
      const h = old[i] as number;
      const l = old[i + 1] as number;
      if (h !== 0 || l !== 0) this.insert(next, h, l);
    }
    this.slots = next;
  }
}
