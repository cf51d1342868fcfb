// The linearizability checker on Porcupine's reference histories (docs/protocol.md):
//  - lin_etcd_ms_per_history: wall time to check one of the 102 Jepsen etcd histories (p50, max);
//  - lin_kv_ms_per_history: the same over the 6 key-value histories (1, 10 and 50 clients).
// Each history is checked as the unit test does (stopping at the first refuted key, as Porcupine
// does), once to warm up and then 3 times, keeping the median. Porcupine publishes no absolute
// time per history (its README gives only its speed relative to Knossos), so none is shown beside.
// `npx tsx bench/linearizability.ts` prints the figures and the slowest histories.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { checkReference, loadPorcupineSuite, type ReferenceHistory } from '../src/engine/sim/checkers/porcupineSuite';

export interface LinearizabilityBench {
  readonly etcdP50: number;
  readonly etcdMax: number;
  readonly etcdCount: number;
  readonly kvP50: number;
  readonly kvMax: number;
  readonly kvCount: number;
  /** Histories whose verdict differs from Porcupine's (0 expected; `unknown` counts as differing). */
  readonly disagreements: number;
  readonly slowest: readonly { readonly name: string; readonly ms: number; readonly ops: number }[];
}

const ZIP = new URL('../src/engine/sim/checkers/testdata/porcupine/porcupine-test-data.zip', import.meta.url);

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function benchLinearizability(): LinearizabilityBench {
  const suite = loadPorcupineSuite(readFileSync(ZIP));
  const options = { stopAtFirstViolation: true } as const;
  let disagreements = 0;
  const times = new Map<ReferenceHistory, number>();
  for (const h of suite) if (checkReference(h, options).ok !== h.linearizable) disagreements++;
  for (const h of suite) {
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      checkReference(h, options);
      runs.push(performance.now() - t0);
    }
    times.set(h, median(runs));
  }
  const of = (set: ReferenceHistory['set']): number[] => suite.filter((h) => h.set === set).map((h) => times.get(h)!);
  const etcd = of('etcd');
  const kv = of('kv');
  const slowest = [...times]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([h, ms]) => ({ name: h.name, ms, ops: h.ops.length }));
  return {
    etcdP50: median(etcd),
    etcdMax: Math.max(...etcd),
    etcdCount: etcd.length,
    kvP50: median(kv),
    kvMax: Math.max(...kv),
    kvCount: kv.length,
    disagreements,
    slowest,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const b = benchLinearizability();
  console.log(`lin_etcd_ms_per_history  p50 ${b.etcdP50.toFixed(2)}  max ${b.etcdMax.toFixed(1)}  (${b.etcdCount} Jepsen etcd histories)`);
  console.log(`lin_kv_ms_per_history    p50 ${b.kvP50.toFixed(2)}  max ${b.kvMax.toFixed(1)}  (${b.kvCount} key-value histories)`);
  console.log(`disagreements with Porcupine: ${b.disagreements}`);
  for (const s of b.slowest) console.log(`  ${s.name.padEnd(9)} ${s.ms.toFixed(1).padStart(8)} ms  ${s.ops} operations`);
}
