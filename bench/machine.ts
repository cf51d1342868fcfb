// machine_mips: guest instructions retired per wall-clock second by the interpreter running
// kv-server under a steady request load (the receive queue never runs dry), in Node.
import { BareMetal } from '../src/engine/machine/bareMetal';
import { shippedProgram } from '../src/engine/programs/index';
import { encodeFrame } from '../src/engine/programs/protocol';
import { Rng } from '../src/engine/util/rng';

export interface MachineBench {
  readonly mips: number;
  readonly instructions: number;
  readonly seconds: number;
  readonly requests: number;
  readonly instructionsPerRequest: number;
}

function requestMix(n: number, seed: number): Uint8Array[] {
  const rng = new Rng(seed);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const key = `k${rng.int(0, 40)}`;
    const r = rng.next();
    const text = r < 0.6 ? `GET ${key}` : r < 0.8 ? `PUT ${key} v${rng.int(0, 99999)}` : r < 0.95 ? `INCR c${rng.int(0, 9)}` : `DEL ${key}`;
    out.push(encodeFrame(1 + (i % 5), i & 0xffff, text));
  }
  return out;
}

export function benchMachine(wallSeconds = 3): MachineBench {
  const prog = shippedProgram('kv-server');
  // A fast disk keeps the guest busy: we measure the interpreter, not idle time.
  const bm = new BareMetal(prog.image, { instructionsPerMs: 100_000, diskLatencyMs: 0.001, seed: 1 });
  const frames = requestMix(4096, 42);
  let next = 0;
  const topUp = (): void => {
    while (bm.rxQueue.length < 8) bm.receive(frames[next++ % frames.length]!);
  };
  // Warm-up: boot and let the JIT settle.
  for (let i = 0; i < 200; i++) {
    topUp();
    bm.runFor(1);
  }
  const sent0 = bm.sent.length;
  const ic0 = bm.machine.icount;
  const t0 = process.hrtime.bigint();
  let t = 0;
  while (t < wallSeconds) {
    for (let i = 0; i < 20; i++) {
      topUp();
      bm.runFor(1);
    }
    t = Number(process.hrtime.bigint() - t0) / 1e9;
  }
  if (bm.machine.fault) throw new Error(`kv-server faulted during the benchmark: ${bm.machine.fault.reason}`);
  const instructions = bm.machine.icount - ic0;
  const requests = bm.sent.length - sent0;
  return { mips: instructions / t / 1e6, instructions, seconds: t, requests, instructionsPerRequest: instructions / Math.max(1, requests) };
}
