// `npm run bench`: a readable table, then one JSON object on the last line.
import { benchBrowser } from './browser';
import { benchFt } from './ft';
import { benchFuzz } from './fuzz';
import { benchLinearizability } from './linearizability';
import { benchMachine } from './machine';
import { benchRecording } from './recording';
import { benchSeek } from './seek';
import { benchFlood, benchUi } from './ui';

const results: Record<string, number> = {};
const rows: [string, string, string][] = [];

function row(name: string, value: string, note: string): void {
  rows.push([name, value, note]);
}

const m = benchMachine();
results.machine_mips = round(m.mips, 1);
row('machine_mips', m.mips.toFixed(1), `kv-server under load, ${(m.instructions / 1e6).toFixed(0)} M instr in ${m.seconds.toFixed(2)} s (target ≥ 200)`);
row('kv requests/s', (m.requests / m.seconds).toFixed(0), `${m.instructionsPerRequest.toFixed(0)} guest instructions per request`);
results.kv_instructions_per_request = round(m.instructionsPerRequest, 0);

const f = benchFt();
results.ft_throughput_ratio = round(f.ratio, 3);
results.log_bytes_per_million_instr = round(f.logBytesPerMillion, 0);
results.failover_virtual_ms_p50 = round(f.failoverP50, 1);
results.failover_virtual_ms_p99 = round(f.failoverP99, 1);
row('ft_throughput_ratio', f.ratio.toFixed(3), `guest instr per virtual s, FT on ${(f.ipsOn / 1e6).toFixed(3)} M / off ${(f.ipsOff / 1e6).toFixed(3)} M; requests/s ${f.opsOn.toFixed(0)} / ${f.opsOff.toFixed(0)} (goal ≥ 0.9)`);
results.ft_throughput_ratio_slow_link = round(f.ratioSlowLink, 3);
results.go_live_virtual_ms_p50 = round(f.goLiveP50, 1);
row('ft_throughput_ratio_slow_link', f.ratioSlowLink.toFixed(3), 'same, logging link at 0.15 ms one way instead of the paper\'s ~0.045 ms');
row('log_bytes_per_million_instr', f.logBytesPerMillion.toFixed(0), `kv-server under load; ${f.logMbitPerS.toFixed(2)} Mbit/s of log`);
row('failover_virtual_ms_p50', f.failoverP50.toFixed(1), `kill primary → first output of the new primary, ${f.failoverRuns} fuzzed runs`);
row('failover_virtual_ms_p99', f.failoverP99.toFixed(1), `(clients waiting on the dead primary time out after 100 ms)`);
row('go_live_virtual_ms_p50', f.goLiveP50.toFixed(1), `kill primary → backup live (timeout 60 ms + test-and-set + drain); simulated in ${f.simSeconds.toFixed(1)} s`);

const r = benchRecording();
results.recording_mb_5min = round(r.recording_bytes_5min / 1e6, 2);
results.share_link_chars = r.share_link_chars;
results.seek_back_5min_ms = round(r.seek_back_5min_ms, 0);
row('recording_mb_5min', results.recording_mb_5min.toFixed(2), 'exported file of 5 virtual minutes of kv-server, 2 automatic clients at 20/s (gzip, column-wise trace)');
row('share_link_chars', String(r.share_link_chars), 'the #run= link of a kv-server session with 10 learner actions');
results.replay_ms_1000_workload_changes = round(r.replay_ms_1000_workload_changes, 0);
row('replay_ms_1000_workload_changes', results.replay_ms_1000_workload_changes.toFixed(0), 'replaying 1,000 changes of the automatic workload (64 clients each, 10 virtual ms apart) from the start');
row('seek_back_5min_ms', results.seek_back_5min_ms.toFixed(0), 'seeking back in that session = replaying it from the start (sliced; the page stays responsive)');

const sk = benchSeek();
results.seek_any_1h_ms = round(sk.seek_any_1h_ms, 1);
results.snapshot_mb_per_hour = round(sk.snapshot_mb_per_hour, 1);
row('seek_any_1h_ms', sk.seek_any_1h_ms.toFixed(1), `p95 over 20 random instants of a 1-hour kv-server session (3 clients at 20/s) of rewindTo + runTo (p50 ${sk.seek_any_1h_ms_p50.toFixed(1)}, max ${sk.seek_any_1h_ms_max.toFixed(1)}; goal ≤ 100)`);
row('snapshot_mb_per_hour', sk.snapshot_mb_per_hour.toFixed(1), `${sk.snapshots} kept snapshots, one every ${sk.snapshot_every_ms / 1000} virtual s; the hour took ${sk.build_1h_s.toFixed(0)} s to simulate`);

const l = benchLinearizability();
results.lin_etcd_ms_per_history = round(l.etcdP50, 2);
results.lin_etcd_ms_per_history_max = round(l.etcdMax, 1);
results.lin_kv_ms_per_history = round(l.kvP50, 2);
results.lin_kv_ms_per_history_max = round(l.kvMax, 1);
results.lin_porcupine_disagreements = l.disagreements;
row('lin_etcd_ms_per_history', l.etcdP50.toFixed(2), `p50 over Porcupine's ${l.etcdCount} Jepsen etcd histories (max ${l.etcdMax.toFixed(1)}); Porcupine: not published`);
row('lin_kv_ms_per_history', l.kvP50.toFixed(2), `p50 over its ${l.kvCount} key-value histories (max ${l.kvMax.toFixed(1)}, 50 clients); Porcupine: not published`);
row('lin_porcupine_disagreements', String(l.disagreements), `verdicts differing from Porcupine's on those ${l.etcdCount + l.kvCount} (goal 0)`);

const z = await benchFuzz();
results.fuzz_runs = z.summary.runs;
results.fuzz_runs_per_second = round(z.summary.runs / z.seconds, 1);
results.fuzz_violations = z.summary.violations;
results.fuzz_unknown = z.summary.unknown;
row('fuzz_runs_per_second', results.fuzz_runs_per_second.toFixed(1), `npm run -s sim -- --fuzz ${z.summary.runs}: every learner action, ${z.summary.actions} actions, ${(z.summary.virtual_ms / 1000).toFixed(0)} virtual s, ${z.workers} worker threads, ${z.seconds.toFixed(0)} s`);
row('fuzz_violations', `${z.summary.violations}`, `runs with a failed check (goal 0); ${z.summary.unknown} undecided; first: ${z.summary.first_failing_seed ?? 'none'}`);

const b = await benchBrowser();
if (b) {
  results.browser_guest_mips = round(b.mipsOn, 1);
  results.browser_ft_throughput_ratio = round(b.ratio, 3);
  row('browser_guest_mips', b.mipsOn.toFixed(1), `primary in a Web Worker, FT on, primes guest at full speed (clock ${b.speedOn.toFixed(0)}× real time)`);
  row('browser_ft_throughput_ratio', b.ratio.toFixed(3), `FT on / FT off in headless Chromium (off: ${b.mipsOff.toFixed(1)} MIPS at ${b.speedOff.toFixed(0)}×; goal ≥ 0.9)`);
  results.browser_ft_ratio_to_limit = round(b.ratioToLimit, 3);
  results.browser_two_worker_limit = round(b.limit, 3);
  row('browser_ft_ratio_to_limit', b.ratioToLimit.toFixed(3), `browser_ft_throughput_ratio / this machine's two-worker limit ${b.limit.toFixed(3)} (bare machine, per worker: ${(b.bareEachOfTwo / 1e6).toFixed(1)} MIPS two at once, ${(b.bareAlone / 1e6).toFixed(1)} alone)`);
  const c = b.cpu;
  if (c) {
    results.browser_ft_cpu_share = round(c.share, 3);
    results.browser_ft_cpu_efficiency = round(c.efficiency, 3);
    results.browser_ft_cpu_room = round(c.roomFor, 3);
    results.browser_ft_rest_cpu_ms_per_s = round(c.restOn, 0);
    row('browser_ft_cpu_share', c.share.toFixed(3), `CPU the two VM workers got with FT on (${c.workersOn.map((x) => x.toFixed(0)).join(' + ')} ms/s) over twice the FT-off worker's (${c.workerOff.toFixed(0)} ms/s)`);
    row('browser_ft_cpu_efficiency', c.efficiency.toFixed(3), `guest instructions per CPU second of the pair over half the FT-off worker's (1 = FT costs no CPU beyond the backup's replay); share × efficiency = the ratio`);
    row('browser_ft_cpu_room', c.roomFor.toFixed(3), `the ratio ${c.cores} cores leave room for: the rest of the browser took ${c.restOn.toFixed(0)} ms/s with FT on (${c.restOff.toFixed(0)} off), the FT-off worker ${c.workerOff.toFixed(0)}`);
  } else row('browser_ft_cpu_*', 'not measured', 'no /proc to read threads\' CPU time from');
} else {
  row('browser_*', 'skipped', 'no Chromium found (set CHROMIUM_PATH or install chromium)');
}

const u = await benchUi(60);
if (u) {
  results.ui_frame_ms_p95 = round(u.frameP95, 2);
  results.ui_heap_mb_after_60s = round(u.heapMbAfter60s, 1);
  row('ui_frame_ms_p95', u.frameP95.toFixed(2), `rAF intervals over 10 s, full speed, 8 automatic clients (p50 ${u.frameP50.toFixed(2)}; 60 Hz = 16.67)`);
  row('ui_heap_mb_after_60s', u.heapMbAfter60s.toFixed(1), `main-thread JS heap after GC (${u.heapMbAt10s.toFixed(1)} MB at 10 s)`);
  results.ui_stage_ms_p95 = round(u.stageP95, 2);
  row('ui_stage_ms_p95', u.stageP95.toFixed(2), `the stage's own work per frame in those 10 s: render to commit plus spawning messages (${u.stageSamples} samples)`);
}

const us = await benchUi(60, 'simulator');
if (us) {
  results.ui_sim_frame_ms_p95 = round(us.frameP95, 2);
  results.ui_sim_heap_mb_after_60s = round(us.heapMbAfter60s, 1);
  row('ui_sim_frame_ms_p95', us.frameP95.toFixed(2), `the same with Runtime: Simulator (the whole FT world in its own worker, the page fed one batch a frame; p50 ${us.frameP50.toFixed(2)})`);
  row('ui_sim_heap_mb_after_60s', us.heapMbAfter60s.toFixed(1), `main-thread JS heap after GC, simulator (${us.heapMbAt10s.toFixed(1)} MB at 10 s; the session keeps its trace for recordings)`);
}

const fl = await benchFlood(30);
if (fl) {
  results.page_roundtrip_ms_p95_flood = round(fl.p95, 1);
  row('page_roundtrip_ms_p95_flood', fl.p95.toFixed(1), `a guest printing newlines in a loop at full speed (Web Workers): round trip into the page, 30 s (p50 ${fl.p50.toFixed(1)}; heap ${fl.heapMb.toFixed(1)} MB after GC; target < 100)`);
}
const ff = await benchFlood(30, 'frames');
if (ff) {
  results.page_roundtrip_ms_p95_frame_flood = round(ff.p95, 1);
  row('page_roundtrip_ms_p95_frame_flood', ff.p95.toFixed(1), `a guest sending frames in a loop at full speed (Web Workers): the same (p50 ${ff.p50.toFixed(1)}; heap ${ff.heapMb.toFixed(1)} MB after GC; target < 100)`);
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

const w = [Math.max(...rows.map((r) => r[0].length)), Math.max(...rows.map((r) => r[1].length))];
console.log(`${'metric'.padEnd(w[0]!)}  ${'value'.padStart(w[1]!)}  note`);
for (const [a, b, c] of rows) console.log(`${a.padEnd(w[0]!)}  ${b.padStart(w[1]!)}  ${c}`);
console.log(JSON.stringify(results));
