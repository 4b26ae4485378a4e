/**
 * Seeded pseudo-random numbers for the synthetic generator (never `Math.random`).
 *
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 32-bit state words) seeded through
 * splitmix32, so every 32-bit seed gives a well-mixed, independent stream. Streams are derived per
 * purpose (`deriveSeed(seed, ...labels)`), so adding a draw in one place never shifts another:
 * a patient's clean rows do not change when defects are switched on or off.
 *
 * Not cryptographic. Deterministic across platforms (only 32-bit integer arithmetic).
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T;
  /** One element, with probability proportional to its weight (weights ≥ 0, sum > 0). */
  weighted<T>(items: readonly T[], weight: (item: T) => number): T;
  /** A draw from a Poisson distribution with mean `mean` (Knuth; means here are small). */
  poisson(mean: number): number;
}

/** One splitmix32 step: a well-mixed 32-bit value from a 32-bit state. */
function mix32(state: number): number {
  let z = (state + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/** Mixes a seed with integer or string labels into a new 32-bit seed (order-sensitive). */
export function deriveSeed(seed: number, ...labels: readonly (number | string)[]): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (const label of labels) {
    if (typeof label === 'number') {
      h = Math.imul(h ^ (label >>> 0), 0x01000193) >>> 0;
      h = Math.imul(h ^ Math.floor(label / 0x100000000), 0x01000193) >>> 0;
    } else {
      for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
    }
    h = mix32(h);
  }
  return h >>> 0;
}

/** sfc32 state and draws (a class, not closures: the generator creates several per patient). */
class Sfc32 implements Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    let s = seed >>> 0;
    this.a = mix32(s);
    s = (s + 0x9e3779b9) | 0;
    this.b = mix32(s);
    s = (s + 0x9e3779b9) | 0;
    this.c = mix32(s);
    s = (s + 0x9e3779b9) | 0;
    this.d = mix32(s);
    for (let i = 0; i < 12; i++) this.u32();
  }
  private u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  next(): number {
    return this.u32() / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }
  weighted<T>(items: readonly T[], weight: (item: T) => number): T {
    let total = 0;
    for (const item of items) total += weight(item);
    let r = this.next() * total;
    for (const item of items) {
      r -= weight(item);
      if (r < 0) return item;
    }
    const last = items[items.length - 1];
    if (last === undefined) throw new RangeError('weighted pick from an empty list');
    return last;
  }
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }
}

/** A new sfc32 stream from a 32-bit seed. */
export function createRng(seed: number): Rng {
  return new Sfc32(seed);
}
