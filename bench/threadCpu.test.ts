import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cpuPerSecond, splitWorkers, threadCpu, type ThreadCpu } from './threadCpu';

const t = (name: string, cpuMs: number): ThreadCpu => ({ name, cpuMs, sysMs: 0 });

describe('where the CPU went', () => {
  it('per second between two readings, busiest first; a thread that started meanwhile counts from zero', () => {
    const before = new Map([['1/1', t('chromium', 100)], ['1/2', t('DedicatedWorker', 50)]]);
    const after = new Map([['1/1', t('chromium', 300)], ['1/2', t('DedicatedWorker', 850)], ['1/3', t('DedicatedWorker', 40)]]);
    expect(cpuPerSecond(before, after, 2)).toEqual([
      { name: 'DedicatedWorker', msPerS: 400 },
      { name: 'chromium', msPerS: 100 },
      { name: 'DedicatedWorker', msPerS: 20 },
    ]);
  });

  it('the busiest dedicated workers are the VM workers; everything else is the rest', () => {
    const rows = [
      { name: 'DedicatedWorker', msPerS: 450 },
      { name: 'chromium', msPerS: 440 },
      { name: 'DedicatedWorker', msPerS: 430 },
      { name: 'ThreadPoolForeg', msPerS: 200 },
      { name: 'DedicatedWorker', msPerS: 5 },
    ];
    expect(splitWorkers(rows, 2)).toEqual({ workers: [450, 430], rest: 645 });
    expect(splitWorkers(rows, 1)).toEqual({ workers: [450], rest: 1075 });
  });

  it.runIf(existsSync('/proc/self/stat'))('reads the threads of the processes this one started, and their CPU time grows as they work', async () => {
    const child = spawn(process.execPath, ['-e', 'const end = Date.now() + 1500; while (Date.now() < end);']);
    try {
      await new Promise((r) => setTimeout(r, 100));
      const first = threadCpu()!;
      expect([...first.keys()].some((k) => k.startsWith(`${child.pid}/`))).toBe(true);
      await new Promise((r) => setTimeout(r, 600));
      const second = threadCpu()!;
      const busy = cpuPerSecond(first, second, 0.6)[0]!;
      expect(busy.msPerS).toBeGreaterThan(100); // (one thread spinning: about 1000 ms/s; less on a busy machine, and 0 if not read)
    } finally {
      child.kill();
    }
  });
});
