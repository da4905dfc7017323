/**
 * Timing helpers for `npm run bench`: warm up, then time `rounds` rounds of
 * `calls` calls and report per-call min and median (µs). Run on an idle machine.
 */
export interface Timing {
  minUs: number;
  medianUs: number;
  rounds: number;
  callsPerRound: number;
}

export function time(fn: () => void, options: { calls: number; rounds?: number; warmupCalls?: number }): Timing {
  const rounds = options.rounds ?? 25;
  const warmup = options.warmupCalls ?? options.calls * 3;
  for (let i = 0; i < warmup; i++) fn();
  const perCall: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < options.calls; i++) fn();
    perCall.push(Number(process.hrtime.bigint() - start) / 1e3 / options.calls);
  }
  perCall.sort((a, b) => a - b);
  return { minUs: perCall[0], medianUs: perCall[Math.floor(rounds / 2)], rounds, callsPerRound: options.calls };
}
