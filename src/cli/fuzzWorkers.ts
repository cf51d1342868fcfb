// The fuzzer across cores: each worker thread runs a contiguous range of run indices; the
// summaries are merged in range order, so the first failing run is the same as on one thread.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { mergeSummaries, runFuzzRange, type FuzzOptions, type FuzzSummary } from '../engine/sim/fuzz';

interface Job {
  readonly seed: number;
  readonly from: number;
  readonly to: number;
  readonly opts: FuzzOptions;
}

export async function fuzzInWorkers(runs: number, seed: number, opts: FuzzOptions, workers: number): Promise<FuzzSummary> {
  if (workers <= 1) return runFuzzRange(seed, 0, runs, opts);
  const per = Math.ceil(runs / workers);
  const jobs: Job[] = [];
  for (let from = 0; from < runs; from += per) jobs.push({ seed, from, to: Math.min(runs, from + per), opts });
  const parts = await Promise.all(
    jobs.map(
      (job) =>
        new Promise<FuzzSummary>((resolve, reject) => {
          // The worker registers tsx first, so it can load this TypeScript file.
          const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(import.meta.url)}); })`;
          const w = new Worker(boot, { eval: true, workerData: job });
          w.once('message', (s: FuzzSummary) => resolve(s));
          w.once('error', reject);
          w.once('exit', (code) => {
            if (code !== 0) reject(new Error(`fuzz worker exited with ${code}`));
          });
        }),
    ),
  );
  return mergeSummaries(parts);
}

if (!isMainThread && parentPort && workerData) {
  const job = workerData as Job;
  parentPort.postMessage(runFuzzRange(job.seed, job.from, job.to, job.opts));
}
