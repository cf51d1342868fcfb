// The release fuzz as a benchmark: 10,000 runs (LOCKSTEP_BENCH_FUZZ_RUNS to change) of every
// learner action over kv-server, lease-server and the ticker, across worker threads. Reports
// runs/s and the violation count (the release gate: 0).
import { availableParallelism } from 'node:os';
import { fuzzInWorkers } from '../src/cli/fuzzWorkers';
import type { FuzzSummary } from '../src/engine/sim/fuzz';

export interface FuzzBench {
  readonly summary: FuzzSummary;
  readonly seconds: number;
  readonly workers: number;
}

export async function benchFuzz(runs = Number(process.env.LOCKSTEP_BENCH_FUZZ_RUNS ?? 10_000)): Promise<FuzzBench> {
  const workers = availableParallelism();
  const t0 = performance.now();
  const summary = await fuzzInWorkers(runs, 1, {}, workers);
  return { summary, seconds: (performance.now() - t0) / 1000, workers };
}
