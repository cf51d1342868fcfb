// Seeking in a long session (docs/architecture.md, "Snapshots and seeking"):
//  - seek_any_1h_ms: p95 over 20 seeded random instants of a one-hour kv-server session (3
//    automatic clients at 20 requests/s, histories capped as the page caps them) of
//    `session.rewindTo(t)` + `session.runTo(t)`: restore the nearest kept snapshot, replay to t.
//  - snapshot_mb_per_hour: what the session's kept snapshots take after that hour.
// The hour is simulated once (build_1h_s says how long that took).
// `npx tsx bench/seek.ts` prints the figures and a few details.
import { pathToFileURL } from 'node:url';
import { HISTORY_PER_CLIENT } from '../src/engine/sim/checkers/verdicts';
import { Rng } from '../src/engine/util/rng';
import { validateScenario } from '../src/engine/sim/scenario';
import { SimSession } from '../src/engine/session/simSession';

export interface SeekBench {
  readonly seek_any_1h_ms: number;
  readonly seek_any_1h_ms_p50: number;
  readonly seek_any_1h_ms_max: number;
  readonly snapshot_mb_per_hour: number;
  readonly snapshots: number;
  readonly snapshot_every_ms: number;
  readonly build_1h_s: number;
}

const HOUR = 3_600_000;

export function benchSeek(instants = 20): SeekBench {
  const scenario = validateScenario({ program: 'kv-server', seed: 11, durationMs: 600_000 });
  const s = new SimSession({ scenario }, [], { maxHistoryPerClient: HISTORY_PER_CLIENT });
  let t0 = performance.now();
  s.runTo(1);
  s.act({ kind: 'workload', count: 3, perSecond: 20 });
  s.runTo(HOUR);
  const build = (performance.now() - t0) / 1000;
  const stats = s.snapshotStats;
  const rng = new Rng(2026);
  const times: number[] = [];
  for (let i = 0; i < instants; i++) {
    const t = rng.next() * HOUR;
    t0 = performance.now();
    s.rewindTo(t);
    s.runTo(t);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const q = (p: number): number => times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)]!;
  return {
    seek_any_1h_ms: q(0.95),
    seek_any_1h_ms_p50: q(0.5),
    seek_any_1h_ms_max: times[times.length - 1]!,
    snapshot_mb_per_hour: stats.bytes / 1e6,
    snapshots: stats.count,
    snapshot_every_ms: stats.everyMs,
    build_1h_s: build,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(benchSeek());
