import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors.ts";
import { Random, createRandom } from "./random.ts";

const MASK = (1n << 64n) - 1n;
const rotl = (x: bigint, k: bigint): bigint => ((x << k) | (x >> (64n - k))) & MASK;

/** Straight BigInt transcription of the reference xoshiro256starstar.c `next()`. */
function referenceNext(s: bigint[]): bigint {
  const result = (rotl((s[1] * 5n) & MASK, 7n) * 9n) & MASK;
  const t = (s[1] << 17n) & MASK;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45n);
  return result;
}

/** Reference `jump()`. */
function referenceJump(s: bigint[]): void {
  const JUMP = [0x180ec6d33cfd0aban, 0xd5a61266f0c9392cn, 0xa9582618e03fc9aan, 0x39abdc4529b1661cn];
  const acc = [0n, 0n, 0n, 0n];
  for (const word of JUMP) {
    for (let b = 0n; b < 64n; b++) {
      if ((word >> b) & 1n) for (let k = 0; k < 4; k++) acc[k] ^= s[k];
      referenceNext(s);
    }
  }
  for (let k = 0; k < 4; k++) s[k] = acc[k];
}

describe("Random (xoshiro256**)", () => {
  it("matches the reference algorithm bit for bit", () => {
    const states = [
      [1n, 2n, 3n, 4n],
      [0x0123456789abcdefn, 0xfedcba9876543210n, 0xdeadbeefcafebaben, 0x8000000000000001n],
    ];
    for (const state of states) {
      const ref = [...state];
      const rng = new Random(state);
      for (let i = 0; i < 1000; i++) expect(rng.nextBigInt()).toBe(referenceNext(ref));
    }
  });

  it("gives the published first outputs for state {1, 2, 3, 4}", () => {
    const rng = new Random([1n, 2n, 3n, 4n]);
    expect([rng.nextBigInt(), rng.nextBigInt(), rng.nextBigInt(), rng.nextBigInt()]).toEqual([
      11520n,
      0n,
      1509978240n,
      1215971899390074240n,
    ]);
  });

  it("seeds through SplitMix64 (first output for seed 0 is 0xe220a8397b1dcdaf)", () => {
    expect(createRandom(0).state()[0]).toBe(0xe220a8397b1dcdafn);
  });

  it("maps the top 53 bits to a double in [0, 1)", () => {
    const a = createRandom(7);
    const b = createRandom(7);
    for (let i = 0; i < 100; i++) {
      const u = a.next();
      expect(u).toBe(Number(b.nextBigInt() >> 11n) / 2 ** 53);
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
    }
  });

  it("is deterministic per seed and differs between seeds", () => {
    const draw = (seed: number | string): number[] => {
      const r = createRandom(seed);
      return Array.from({ length: 5 }, () => r.next());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw("walkers")).toEqual(draw("walkers"));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it("rejects seeds that are not safe integers, and the all-zero state", () => {
    expect(() => createRandom(1.5)).toThrow(ValidationError);
    expect(() => new Random([0n, 0n, 0n, 0n])).toThrow(ValidationError);
  });

  it("draws standard normals with mean 0 and sd 1", () => {
    const rng = createRandom(1);
    const n = 200_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      s += z;
      s2 += z * z;
    }
    const mean = s / n;
    const sd = Math.sqrt(s2 / n - mean * mean);
    // Standard errors: 1/√n ≈ 0.0022 for the mean, ≈ 0.0016 for the sd.
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(sd - 1)).toBeLessThan(0.01);
    const scaled = createRandom(2);
    expect(Number.isFinite(scaled.normal(5, 2))).toBe(true);
  });

  it("draws unbiased integers in [0, n)", () => {
    const rng = createRandom(3);
    const counts = new Array<number>(6).fill(0);
    const n = 60_000;
    for (let i = 0; i < n; i++) counts[rng.integer(6)]++;
    let chi2 = 0;
    for (const c of counts) chi2 += (c - n / 6) ** 2 / (n / 6);
    // χ²(5) has a 0.1 % tail at 20.5.
    expect(chi2).toBeLessThan(20.5);
    expect(rng.integer(1)).toBe(0);
    expect(() => rng.integer(0)).toThrow(ValidationError);
    expect(() => rng.integer(2.5)).toThrow(ValidationError);
  });

  it("uniform(low, high) stays in range", () => {
    const rng = createRandom(4);
    for (let i = 0; i < 1000; i++) {
      const u = rng.uniform(-3, 5);
      expect(u).toBeGreaterThanOrEqual(-3);
      expect(u).toBeLessThan(5);
    }
  });

  it("jump() matches the reference jump", () => {
    const start = [5n, 6n, 7n, 8n];
    const ref = [...start];
    referenceJump(ref);
    const rng = new Random(start);
    rng.jump();
    expect(rng.state()).toEqual(ref);
  });

  it("split() hands out the current stream and jumps ahead; streams are reproducible", () => {
    const rng = createRandom(9);
    const before = rng.state();
    const child = rng.split();
    expect(child.state()).toEqual(before);
    const jumped = new Random(before);
    jumped.jump();
    expect(rng.state()).toEqual(jumped.state());

    const a = createRandom(11).streams(3).map((r) => r.next());
    const b = createRandom(11).streams(3).map((r) => r.next());
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(3);
  });

  it("clone() continues identically without touching the original", () => {
    const rng = createRandom(12);
    rng.normal();
    const copy = rng.clone();
    expect(copy.normal()).toBe(rng.normal());
    expect(copy.next()).toBe(rng.next());
  });
});
