/**
 * @module core/random
 * Seeded pseudo-random numbers: xoshiro256** (Blackman & Vigna 2018) seeded
 * through SplitMix64, so the same seed gives the same stream on every run,
 * platform and Node version. Doubles carry 53 random bits.
 *
 * The 64-bit state is held as eight unsigned 32-bit halves so the hot path
 * uses only 32-bit integer arithmetic (no BigInt); BigInt is used once, when
 * seeding and when jumping.
 *
 * Independent streams: {@link Random.split} hands out a generator starting at
 * the current state and moves this one 2¹²⁸ draws ahead ({@link Random.jump}),
 * so streams never overlap unless one of them draws more than 2¹²⁸ numbers.
 *
 * @see D. Blackman, S. Vigna, "Scrambled linear pseudorandom number generators",
 *   ACM TOMS 47 (2021); reference code https://prng.di.unimi.it/xoshiro256starstar.c
 */

import { ValidationError } from "./errors.ts";

const MASK64 = (1n << 64n) - 1n;
const TWO_POW_32 = 4294967296;
const TWO_POW_21 = 2097152;
const TWO_POW_53 = 9007199254740992;
const TWO_POW_MINUS_53 = 1 / TWO_POW_53;

/** Jump polynomial: advances the state by 2¹²⁸ draws. */
const JUMP = [0x180ec6d33cfd0aban, 0xd5a61266f0c9392cn, 0xa9582618e03fc9aan, 0x39abdc4529b1661cn];
/** Long-jump polynomial: advances the state by 2¹⁹² draws. */
const LONG_JUMP = [0x76e15d3efefdcbbfn, 0xc5004e441c522fb3n, 0x77710069854ee241n, 0x39109bb02acbe635n];

/** A seed: a safe integer, a bigint (taken modulo 2⁶⁴) or a string (hashed). */
export type Seed = number | bigint | string;

/** SplitMix64 step on a bigint state; returns [next state, output]. */
function splitMix64(state: bigint): [bigint, bigint] {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return [next, z ^ (z >> 31n)];
}

/** FNV-1a 64-bit hash of a string's UTF-16 code units (seeding from names). */
function hashString(text: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * 0x100000001b3n) & MASK64;
  }
  return h;
}

function seedToBigInt(seed: Seed): bigint {
  if (typeof seed === "bigint") return seed & MASK64;
  if (typeof seed === "string") return hashString(seed);
  if (!Number.isSafeInteger(seed)) throw new ValidationError("seed", "must be a safe integer, a bigint or a string", seed);
  return BigInt(seed) & MASK64;
}

/**
 * A seeded xoshiro256** generator. Stateful: every draw advances it. Use
 * {@link createRandom} to make one, {@link Random.split} for independent streams.
 */
export class Random {
  /** State words s0..s3 as [hi, lo] pairs: index 2k is the high half of s_k, 2k+1 the low half. */
  private readonly s: Uint32Array;
  /** Second normal deviate of the last polar-method pair, or NaN when none is cached. */
  private spareNormal = Number.NaN;

  /**
   * @param state four 64-bit state words (not all zero). Prefer {@link createRandom}.
   * @throws {ValidationError} if the state is all zero (xoshiro's one invalid state).
   */
  constructor(state: readonly bigint[]) {
    if (state.length !== 4) throw new ValidationError("state", "must have four 64-bit words", state.length);
    this.s = new Uint32Array(8);
    let any = false;
    for (let k = 0; k < 4; k++) {
      const w = state[k] & MASK64;
      if (w !== 0n) any = true;
      this.s[2 * k] = Number(w >> 32n);
      this.s[2 * k + 1] = Number(w & 0xffffffffn);
    }
    if (!any) throw new ValidationError("state", "must not be all zero");
  }

  /** The four 64-bit state words (a copy), e.g. to checkpoint or send a stream to a worker. */
  state(): bigint[] {
    const out: bigint[] = [];
    for (let k = 0; k < 4; k++) out.push((BigInt(this.s[2 * k]) << 32n) | BigInt(this.s[2 * k + 1]));
    return out;
  }

  /** An independent copy at the same position (same future draws). */
  clone(): Random {
    const r = new Random(this.state());
    r.spareNormal = this.spareNormal;
    return r;
  }

  /**
   * Advances the state and writes the next 64-bit output as [hi, lo] into `out`.
   * result = rotl(s1 · 5, 7) · 9, then the xoshiro256 linear update.
   */
  private step(out: Uint32Array): void {
    const s = this.s;
    const s1h = s[2];
    const s1l = s[3];
    // a = s1 * 5 = (s1 << 2) + s1
    let al = (s1l << 2) >>> 0;
    let ah = ((s1h << 2) | (s1l >>> 30)) >>> 0;
    let lo = al + s1l;
    let ah2 = ah + s1h + (lo >= TWO_POW_32 ? 1 : 0);
    al = lo >>> 0;
    ah = ah2 >>> 0;
    // b = rotl(a, 7)
    const bh = ((ah << 7) | (al >>> 25)) >>> 0;
    const bl = ((al << 7) | (ah >>> 25)) >>> 0;
    // result = b * 9 = (b << 3) + b
    const ch = ((bh << 3) | (bl >>> 29)) >>> 0;
    const cl = (bl << 3) >>> 0;
    lo = cl + bl;
    ah2 = ch + bh + (lo >= TWO_POW_32 ? 1 : 0);
    out[0] = ah2 >>> 0;
    out[1] = lo >>> 0;

    // t = s1 << 17
    const th = ((s1h << 17) | (s1l >>> 15)) >>> 0;
    const tl = (s1l << 17) >>> 0;
    // s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 45)
    s[4] ^= s[0];
    s[5] ^= s[1];
    s[6] ^= s[2];
    s[7] ^= s[3];
    s[2] ^= s[4];
    s[3] ^= s[5];
    s[0] ^= s[6];
    s[1] ^= s[7];
    s[4] ^= th;
    s[5] ^= tl;
    // rotl by 45 = swap halves (rotl 32) then rotl 13
    const h3 = s[7];
    const l3 = s[6];
    s[6] = ((h3 << 13) | (l3 >>> 19)) >>> 0;
    s[7] = ((l3 << 13) | (h3 >>> 19)) >>> 0;
  }

  private readonly buf = new Uint32Array(2);

  /** The next raw 64-bit output as a bigint (slow; for tests and checkpoints). */
  nextBigInt(): bigint {
    this.step(this.buf);
    return (BigInt(this.buf[0]) << 32n) | BigInt(this.buf[1]);
  }

  /** The next 32 random bits as an unsigned integer (the high half of a 64-bit output). */
  nextUint32(): number {
    this.step(this.buf);
    return this.buf[0];
  }

  /** A uniform double in [0, 1) with 53 random bits (the top 53 bits of one output). */
  next(): number {
    this.step(this.buf);
    return ((this.buf[0] * TWO_POW_21) + (this.buf[1] >>> 11)) * TWO_POW_MINUS_53;
  }

  /**
   * A uniform double in [low, high).
   * @param low lower end (default 0)
   * @param high upper end (default 1)
   */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.next();
  }

  /**
   * A normal deviate (Marsaglia's polar method; pairs are cached).
   * @param mean default 0
   * @param sd standard deviation, default 1
   */
  normal(mean = 0, sd = 1): number {
    if (!Number.isNaN(this.spareNormal)) {
      const z = this.spareNormal;
      this.spareNormal = Number.NaN;
      return mean + sd * z;
    }
    let u: number;
    let v: number;
    let r2: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      r2 = u * u + v * v;
    } while (r2 >= 1 || r2 === 0);
    const f = Math.sqrt((-2 * Math.log(r2)) / r2);
    this.spareNormal = v * f;
    return mean + sd * u * f;
  }

  /**
   * A uniform integer in [0, n), without modulo bias (rejection on 53-bit integers).
   * @param n exclusive upper end, a positive safe integer ≤ 2⁵³
   * @throws {ValidationError} if n is not a positive integer ≤ 2⁵³
   */
  integer(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_53) {
      throw new ValidationError("n", "must be an integer in [1, 2^53]", n);
    }
    if (n === 1) return 0;
    const limit = Math.floor(TWO_POW_53 / n) * n;
    for (;;) {
      this.step(this.buf);
      const r = this.buf[0] * TWO_POW_21 + (this.buf[1] >>> 11);
      if (r < limit) return r % n;
    }
  }

  /** Fills `out` with standard normal deviates and returns it. */
  fillNormal(out: Float64Array): Float64Array {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
    return out;
  }

  /** Advances this generator by 2¹²⁸ draws in place (the reference `jump()`). */
  jump(): void {
    this.applyJump(JUMP);
  }

  /** Advances this generator by 2¹⁹² draws in place (the reference `long_jump()`). */
  longJump(): void {
    this.applyJump(LONG_JUMP);
  }

  /**
   * Splits off an independent stream: returns a generator at the current state
   * and jumps this one 2¹²⁸ draws ahead. Repeated calls give non-overlapping streams.
   */
  split(): Random {
    const child = new Random(this.state());
    this.jump();
    this.spareNormal = Number.NaN;
    return child;
  }

  /** `count` independent streams from successive {@link split} calls. */
  streams(count: number): Random[] {
    const out: Random[] = [];
    for (let i = 0; i < count; i++) out.push(this.split());
    return out;
  }

  private applyJump(poly: readonly bigint[]): void {
    const acc = [0n, 0n, 0n, 0n];
    for (const word of poly) {
      for (let b = 0n; b < 64n; b++) {
        if ((word >> b) & 1n) {
          const cur = this.state();
          for (let k = 0; k < 4; k++) acc[k] ^= cur[k];
        }
        this.step(this.buf);
      }
    }
    for (let k = 0; k < 4; k++) {
      this.s[2 * k] = Number(acc[k] >> 32n);
      this.s[2 * k + 1] = Number(acc[k] & 0xffffffffn);
    }
    this.spareNormal = Number.NaN;
  }
}

/**
 * Creates a seeded generator. The 256-bit state is filled by four SplitMix64
 * outputs of the seed, as the xoshiro authors recommend.
 *
 * @param seed a safe integer, bigint or string; the same seed always gives the same stream
 * @returns a new {@link Random}
 * @throws {ValidationError} if a numeric seed is not a safe integer
 * @example
 * ```ts
 * const rng = createRandom(42);
 * const u = rng.next();        // [0, 1)
 * const z = rng.normal(0, 2);  // N(0, 2²)
 * const k = rng.integer(10);   // 0..9
 * const streams = rng.streams(4); // independent generators
 * ```
 */
export function createRandom(seed: Seed = 0): Random {
  let state = seedToBigInt(seed);
  const words: bigint[] = [];
  for (let k = 0; k < 4; k++) {
    const [next, out] = splitMix64(state);
    state = next;
    words.push(out);
  }
  // SplitMix64 outputs are never all zero for four consecutive draws, but guard anyway.
  if (words[0] === 0n && words[1] === 0n && words[2] === 0n && words[3] === 0n) words[0] = 1n;
  return new Random(words);
}
