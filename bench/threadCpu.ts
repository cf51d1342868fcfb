// CPU time per thread of the processes this benchmark started (Chromium), read from Linux's
// /proc: where the two cores go while FT runs at full speed (the VM workers, the page's main
// thread, the compositor, V8's helper threads). Null where /proc is not there to read.
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** One thread's CPU time so far (user + system, ms), keyed `pid/tid`. */
export interface ThreadCpu {
  readonly name: string;
  readonly cpuMs: number;
  /** Of which in the kernel. */
  readonly sysMs: number;
}

let tickMs: number | null = null;
function msPerTick(): number {
  if (tickMs === null) {
    let hz = 100;
    try {
      hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      // (100 on every Linux this runs on)
    }
    tickMs = 1000 / hz;
  }
  return tickMs;
}

function statFields(path: string): { name: string; fields: string[] } | null {
  try {
    const st = readFileSync(path, 'utf8');
    const close = st.lastIndexOf(')');
    return { name: st.slice(st.indexOf('(') + 1, close), fields: st.slice(close + 2).split(' ') };
  } catch {
    return null; // (it ended meanwhile)
  }
}

/** Every thread of every process descended from `root` (this process by default), or null without /proc. */
export function threadCpu(root = process.pid): Map<string, ThreadCpu> | null {
  let pids: number[];
  try {
    pids = readdirSync('/proc').filter((x) => /^\d+$/.test(x)).map(Number);
  } catch {
    return null;
  }
  const parent = new Map<number, number>();
  for (const pid of pids) {
    const s = statFields(`/proc/${pid}/stat`);
    if (s) parent.set(pid, Number(s.fields[1]));
  }
  const descends = (pid: number): boolean => {
    for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 64; p = parent.get(p), hops++) if (p === root) return true;
    return false;
  };
  const tick = msPerTick();
  const out = new Map<string, ThreadCpu>();
  for (const pid of pids) {
    if (pid === root || !descends(pid)) continue;
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      const s = statFields(`/proc/${pid}/task/${tid}/stat`);
      if (s) out.set(`${pid}/${tid}`, { name: s.name, cpuMs: (Number(s.fields[11]) + Number(s.fields[12])) * tick, sysMs: Number(s.fields[12]) * tick });
    }
  }
  return out;
}

/** CPU ms per wall second of each thread between two readings (threads that ended are left out). */
export function cpuPerSecond(before: Map<string, ThreadCpu>, after: Map<string, ThreadCpu>, seconds: number): { readonly name: string; readonly msPerS: number }[] {
  return [...after]
    .map(([k, t]) => ({ name: t.name, msPerS: (t.cpuMs - (before.get(k)?.cpuMs ?? 0)) / seconds }))
    .sort((a, b) => b.msPerS - a.msPerS);
}

/**
 * Where the CPU went: the `workers` busiest dedicated-worker threads (the VM workers), and the
 * rest of the browser together (the page's main thread, compositor, GPU process, V8 helpers).
 */
export function splitWorkers(rows: readonly { readonly name: string; readonly msPerS: number }[], workers: number): { readonly workers: number[]; readonly rest: number } {
  const vm = rows.filter((r) => r.name.startsWith('DedicatedWorker')).slice(0, workers);
  const total = rows.reduce((a, r) => a + r.msPerS, 0);
  const mine = vm.map((r) => r.msPerS);
  return { workers: mine, rest: total - mine.reduce((a, b) => a + b, 0) };
}
