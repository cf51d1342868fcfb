// FT figures on the simulator (virtual time, so they measure the protocol, not this machine):
//  - ft_throughput_ratio: guest instructions per virtual second of kv-server under a saturating
//    closed-loop load, FT on over FT off (one VM, no backup), same workload and seed.
//  - log_bytes_per_million_instr: logging-channel bytes per million guest instructions (FT on).
//  - failover_virtual_ms p50/p99: from kill-primary to the new primary's first output, over
//    fuzzed runs (random kill time, seed, load).
import { runScenario } from '../src/engine/sim/runScenario';
import { Rng } from '../src/engine/util/rng';
import { validateScenario } from '../src/engine/sim/scenario';
import { World } from '../src/engine/sim/world';
import { asNodeId as nid } from '../src/engine/ft/messages';

export interface FtBench {
  readonly ratio: number;
  readonly ipsOn: number;
  readonly ipsOff: number;
  readonly opsOn: number;
  readonly opsOff: number;
  readonly logBytesPerMillion: number;
  readonly logMbitPerS: number;
  readonly failoverP50: number;
  readonly failoverP99: number;
  readonly failoverRuns: number;
  readonly goLiveP50: number;
  readonly ratioSlowLink: number;
  readonly simSeconds: number;
}

const loadScenario = validateScenario({
  name: 'bench-load',
  program: 'kv-server',
  seed: 11,
  durationMs: 3000,
  clients: { count: 16, keys: 8, thinkMs: 0.5, timeoutMs: 500, startMs: 5 },
});

function throughput(noBackup: boolean, scenario = loadScenario): { ips: number; ops: number; logBytes: number; instr: number } {
  const w = new World(scenario, { noBackup });
  w.run();
  const vm = w.vms.get(nid('A'))!;
  const secs = loadScenario.durationMs / 1000;
  const ops = w.clients.flatMap((c) => c.history).filter((o) => o.status === 'ok').length;
  return { ips: vm.machine.icount / secs, ops: ops / secs, logBytes: vm.stats.logBytes, instr: vm.machine.icount };
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

export function benchFt(failoverRuns = 200): FtBench {
  const t0 = performance.now();
  const on = throughput(false);
  const off = throughput(true);
  const rng = new Rng(99);
  // The same on a slower logging link (1 Gbit/s-class latency) for comparison.
  const slow = throughput(false, { ...loadScenario, network: { channel: { latencyMs: 0.15, jitterMs: 0.05, bandwidthMbps: 1000 } } });
  const failover: number[] = [];
  const goLive: number[] = [];
  for (let i = 0; i < failoverRuns; i++) {
    const { result } = runScenario(
      validateScenario({
        program: 'kv-server',
        seed: rng.nextU32(),
        durationMs: 700,
        clients: { count: rng.int(2, 6), keys: 3, thinkMs: rng.int(1, 10), timeoutMs: 100 },
        faults: [{ at: rng.int(100, 350), kind: 'kill-primary' }],
      }),
    );
    if (result.failover.faultToFirstOutputMs !== null) failover.push(result.failover.faultToFirstOutputMs);
    if (result.failover.faultToLiveMs !== null) goLive.push(result.failover.faultToLiveMs);
  }
  return {
    ratio: on.ips / off.ips,
    ipsOn: on.ips,
    ipsOff: off.ips,
    opsOn: on.ops,
    opsOff: off.ops,
    logBytesPerMillion: (on.logBytes / on.instr) * 1e6,
    logMbitPerS: (on.logBytes * 8) / 1e6 / (loadScenario.durationMs / 1000),
    failoverP50: percentile(failover, 50),
    failoverP99: percentile(failover, 99),
    failoverRuns: failover.length,
    goLiveP50: percentile(goLive, 50),
    ratioSlowLink: slow.ips / off.ips,
    simSeconds: (performance.now() - t0) / 1000,
  };
}
